import TetherProtocol

/// Errors thrown by ``TetherClient`` besides the node's reply errors (which are thrown as ``ProtocolError``).
public enum TetherClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The client is not started (``TetherClient/connect()`` not called, or after ``TetherClient/disconnect()``).
    case notConnected
    /// The client stopped for good: the node closed with a code that forbids reconnecting (`3500`, `1009`,
    /// …). `error` is the `connect` reply error when there was one (e.g. `101` for a bad token).
    case closed(code: UInt16, reason: String, error: ProtocolError?)
    /// The node sent a reply that does not have the documented shape.
    case invalidReply(String)

    public var description: String {
        switch self {
        case .notConnected: "the client is not connected"
        case .closed(let code, let reason, let error):
            "closed with \(code) \(reason)" + (error.map { " (\($0))" } ?? "")
        case .invalidReply(let message): "invalid reply: \(message)"
        }
    }
}
