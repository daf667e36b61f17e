/// Everything the client throws.
public enum RedisError: Error, Sendable, Equatable {
    /// An error reply, split at its first space: `-NOSCRIPT No matching script` is code `NOSCRIPT`, message
    /// `No matching script`. A reply without a space has an empty message.
    case server(code: String, message: String)
    /// The call got no reply within its timeout. The connection it was on is closed and replaced, since any later
    /// reply on it would be matched to the wrong call.
    case timeout
    /// The connection closed (or was closed) while the call was pending or being written.
    case connectionClosed
    /// No connection could be made (refused, unreachable, TLS handshake failed, connect timeout, or the pool is
    /// backing off after such a failure). The text says why.
    case connectFailed(String)
    /// The server sent bytes that are not valid RESP, or exceeded the parser's limits. The connection is closed.
    case protocolError(String)
    /// `HELLO ... AUTH` or `AUTH` was refused (wrong user or password, or a password is required).
    case authenticationFailed(String)
    /// The client or subscriber was shut down.
    case poolClosed
    /// The client already has `maxPendingCommands` calls in flight: the call fails at once instead of queueing.
    case tooManyPending

    init(serverErrorText text: String) {
        if let space = text.firstIndex(of: " ") {
            self = .server(code: String(text[..<space]), message: String(text[text.index(after: space)...]))
        } else {
            self = .server(code: text, message: "")
        }
    }
}
