/// A message that cannot be answered: the connection must close with ``closeCode``.
///
/// On the node: a command that is not one JSON object with a positive integer `id` and a string `op`
/// (close `3501`, or `1009` when it is over the size limit). On the client: a server message that is not a
/// valid reply or push.
public struct FrameError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// Not one valid JSON text within the limits.
        case invalidJSON(JSONParseError)
        /// Valid JSON, but not an object.
        case notAnObject
        /// `id` missing, not an integer literal, or outside 1 … 2³²−1.
        case invalidID
        /// `op` missing or not a string (commands only).
        case invalidOp
        /// `id` appears twice (commands), or any known key appears twice (server messages).
        case duplicateKey(String)
        /// A server message whose fields do not have the documented shape (client side only).
        case invalidMessage(String)
    }

    public var reason: Reason

    public init(_ reason: Reason) {
        self.reason = reason
    }

    /// `1009` (message too big) for input over the size limit, `3501` (bad request) otherwise.
    public var closeCode: DisconnectCode {
        if case .invalidJSON(let error) = self.reason, case .tooLarge = error.kind { return .messageTooBig }
        return .badRequest
    }

    public var description: String {
        switch self.reason {
        case .invalidJSON(let error): "invalid JSON: \(error)"
        case .notAnObject: "message is not a JSON object"
        case .invalidID: "\"id\" must be an integer from 1 to 4294967295"
        case .invalidOp: "\"op\" must be a string"
        case .duplicateKey(let key): "duplicate key \"\(key)\""
        case .invalidMessage(let message): "invalid message: \(message)"
        }
    }
}
