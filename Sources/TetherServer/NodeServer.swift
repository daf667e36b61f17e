import Hummingbird
import Logging
import NIOCore
import TetherCore

/// A ready-made Hummingbird application serving one node: the WebSocket endpoint at
/// `/connection/websocket` (on the fast path, ``NodeChannel``), the server API under `/api`, and
/// `GET /health`. `tether node` runs this; an
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
        // Upgrades the node refused arrive here as plain requests: say why.
        let allowedOrigins = Set(node.configuration.allowedOrigins)
        router.get("/connection/websocket") { request, _ -> Response in
            if !allowedOrigins.isEmpty, !allowedOrigins.contains(request.headers[.origin] ?? "") {
                return Response(status: .forbidden, body: ResponseBody(byteBuffer: ByteBuffer(string: "origin not allowed\n")))
            }
            return Response(status: .badRequest, body: ResponseBody(byteBuffer: ByteBuffer(string: "a WebSocket upgrade (RFC 6455) is required here\n")))
        }
        extraRoutes(router)
        return Application(
            router: router,
            server: .tetherNode(node),
            configuration: .init(address: .hostname(host, port: port), serverName: "tether-node"),
            onServerRunning: onServerRunning,
            logger: logger
        )
    }
}
