/// Where a ``TetherClient``'s connection stands, as reported by ``TetherClient/states``.
public enum ConnectionState: Sendable, Hashable {
    /// Opening a socket and waiting for the `connect` reply.
    case connecting
    /// The node accepted `connect`. `session` is what the client presents when it reconnects; it stays the
    /// same across reconnects while the session is resumed.
    case connected(client: String, session: String, node: String)
    /// The connection ended with `code` (1006 when the socket was lost without a close frame). When
    /// `reconnecting` is false the client has stopped for good (a final code, or ``TetherClient/disconnect()``).
    case disconnected(code: UInt16, reconnecting: Bool)
}
