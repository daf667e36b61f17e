import Logging
import NIOCore
import NIOPosix
import WSClient

/// ``TetherTransport`` on swift-websocket's `WebSocketClient` (SwiftNIO; works on Linux and macOS). Offers
/// the `tether.v1` subprotocol; the answer is not checked (`WebSocketClient` does not expose the response
/// headers). `ws://` and `wss://` URLs (TLS with the system trust roots).
public struct WebSocketTransport: TetherTransport {
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger

    public init(
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "tether.client.transport")
    ) {
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    public func connect(to url: String, maxMessageSize: Int) async throws -> any TetherTransportConnection {
        let connection = WebSocketTransportConnection()
        try await connection.open(url: url, maxMessageSize: maxMessageSize, eventLoopGroup: self.eventLoopGroup, logger: self.logger)
        return connection
    }
}
