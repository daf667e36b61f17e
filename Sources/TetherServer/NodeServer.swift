import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import TetherCore

/// A ready-made Hummingbird application serving one node: the WebSocket endpoint at
/// `/connection/websocket`, the server API under `/api`, and `GET /health`. `tether node` runs this; an
/// application that embeds a node mounts the same routes on its own routers instead (see the README).
public enum NodeServer {
    /// - Parameters:
    ///   - extraRoutes: lets the caller add routes (the command adds `/metrics`).
    ///   - onServerRunning: called with the bound channel (tests read the port from it).
    public static func makeApplication(
        node: TetherNode,
        host: String,
        port: Int,
        extraRoutes: @Sendable (Router<BasicRequestContext>) -> Void = { _ in },
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in },
        logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        router.addTetherAPI(node)
        router.get("/health") { _, _ -> Response in
            Response(status: node.isShuttingDown ? .serviceUnavailable : .ok)
        }
        extraRoutes(router)
        let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
        webSocketRouter.addTetherNode(node)
        let limits = node.configuration.limits
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(
                webSocketRouter: webSocketRouter,
                configuration: .init(
                    http1: .init(idleTimeout: .seconds(60)),
                    ws: .init(
                        maxFrameSize: limits.maxMessageSize,
                        autoPing: .enabled(timePeriod: node.configuration.pingInterval),
                        closeTimeout: .seconds(5),
                        validateUTF8: true
                    )
                )
            ),
            configuration: .init(address: .hostname(host, port: port), serverName: "tether-node"),
            onServerRunning: onServerRunning,
            logger: logger
        )
    }
}
