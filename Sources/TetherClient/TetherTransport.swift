/// How ``TetherClient`` opens WebSocket connections. The Linux implementation is ``WebSocketTransport``
/// (swift-websocket); a URLSession transport can be added on Apple platforms by conforming to this protocol.
public protocol TetherTransport: Sendable {
    /// Opens one WebSocket connection to `url` (the upgrade has completed when this returns). Inbound messages
    /// larger than `maxMessageSize` bytes close the connection.
    func connect(to url: String, maxMessageSize: Int) async throws -> any TetherTransportConnection
}

/// One open WebSocket connection.
///
/// Contract: ``events`` yields every inbound text message in arrival order, then exactly one
/// ``TransportEvent/closed(code:reason:)``, then finishes. It has a single consumer (the client).
public protocol TetherTransportConnection: Sendable {
    var events: AsyncStream<TransportEvent> { get }
    /// Sends one text message; messages sent by one caller go out in call order. Throws once the connection
    /// is closing or closed.
    func send(_ text: String) async throws
    /// Starts the closing handshake with `code`; ``events`` finishes once the peer answers.
    func close(code: UInt16, reason: String) async
    /// Drops the connection without waiting for anything; ``events`` then reports `closed(code: nil, …)`.
    func abort()
}

/// What a ``TetherTransportConnection`` reports.
public enum TransportEvent: Sendable, Hashable {
    /// One text message (it may hold several protocol messages separated by `\n`).
    case text(String)
    /// The connection ended. `code` is the peer's close code, nil when the socket was lost without one.
    case closed(code: UInt16?, reason: String?)
}
