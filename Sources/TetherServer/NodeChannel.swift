import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import TetherCore
import TetherProtocol

/// A Hummingbird server channel that serves one node's WebSocket endpoint on plain SwiftNIO handlers
/// (``NodeWebSocketHandler``: no task per idle connection) and hands every other request to the
/// application's router. Build it with ``Hummingbird/HTTPServerBuilder/tetherNode(_:path:)``.
///
/// Upgrades are accepted only at `path`, and only from an allowed `Origin` (when the node restricts
/// them); a refused upgrade continues as an ordinary request, so the router answers it (`NodeServer` adds
/// a route that explains the refusal with 403 or 400).
public struct NodeChannel: ServerChildChannel, HTTPChannelHandler {
    public enum Negotiated: Sendable {
        case webSocket
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
    }

    public struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        public let channel: any Channel
    }

    public let responder: HTTPChannelHandler.Responder
    let node: TetherNode
    let path: String
    let idleTimeout: Duration?
    private let wakeups = LoopWakeupsRegistry()

    public init(node: TetherNode, path: String, responder: @escaping HTTPChannelHandler.Responder, idleTimeout: Duration? = .seconds(60)) {
        self.node = node
        self.path = path
        self.responder = responder
        self.idleTimeout = idleTimeout
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let node = self.node
            let path = self.path
            let limits = node.configuration.limits
            let allowedOrigins = Set(node.configuration.allowedOrigins)
            let upgrader = NIOTypedWebSocketServerUpgrader<Negotiated>(
                maxFrameSize: limits.maxMessageSize,
                shouldUpgrade: { channel, head in
                    let requestPath = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
                    guard requestPath == path else { return channel.eventLoop.makeSucceededFuture(nil) }
                    if !allowedOrigins.isEmpty {
                        guard let origin = head.headers.first(name: "origin"), allowedOrigins.contains(origin) else {
                            return channel.eventLoop.makeSucceededFuture(nil)
                        }
                    }
                    var headers = HTTPHeaders()
                    let offered = head.headers[canonicalForm: "sec-websocket-protocol"]
                    if offered.contains(where: { $0 == "tether.v1" }) { headers.add(name: "Sec-WebSocket-Protocol", value: "tether.v1") }
                    return channel.eventLoop.makeSucceededFuture(headers)
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        try Self.installConnection(on: channel, node: node, wakeups: self.wakeups.wakeups(for: channel.eventLoop), logger: logger)
                        return Negotiated.webSocket
                    }
                }
            )
            let idleTimeout = self.idleTimeout
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Negotiated>(
                upgradeConfiguration: NIOTypedHTTPServerUpgradeConfiguration(
                    upgraders: [upgrader],
                    notUpgradingCompletionHandler: { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                            try channel.pipeline.syncOperations.addHandler(
                                HTTPConnectionStateHandler(idleTimeout: idleTimeout.map { .nanoseconds(Int64($0.components.seconds) * 1_000_000_000) }, logger: logger)
                            )
                            return Negotiated.http(try NIOAsyncChannel(
                                wrappingChannelSynchronously: channel,
                                configuration: .init(isOutboundHalfClosureEnabled: true)
                            ))
                        }
                    }
                )
            )
            configuration.enablePipelining = false
            configuration.enableErrorHandling = false
            configuration.enableResponseHeaderValidation = false
            let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            return Value(negotiated: negotiated, channel: channel)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .webSocket:
                // The connection lives on its handlers from here; no task needs to wait for it.
                return
            case .http(let http):
                await self.handleHTTP(asyncChannel: http, logger: logger)
            }
        } catch {
            logger.debug("connection ended during the handshake", metadata: ["error": "\(error)"])
        }
    }

    /// Runs on the event loop right after the 101: admits the connection or closes it with the node's
    /// reason (3007 full, 3001 shutting down) and a retry delay.
    private static func installConnection(on channel: any Channel, node: TetherNode, wakeups: LoopWakeups, logger: Logger) throws {
        let limits = node.configuration.limits
        // Hummingbird's server reads on demand (for its async channels); this handler wants every frame,
        // and pauses by withholding `read()` itself.
        try channel.syncOptions?.setOption(.autoRead, value: true)
        guard let connection = node.accept() else {
            let code: DisconnectCode = node.isShuttingDown ? .shutdown : .nodeFull
            let push = Push.disconnect(code, delayMs: 1000).frame()
            try channel.pipeline.syncOperations.addHandler(RefusedConnectionHandler(push: push, code: code))
            return
        }
        try channel.pipeline.syncOperations.addHandler(NodeWebSocketHandler(
            connection: connection,
            wakeups: wakeups,
            maxMessageSize: limits.maxMessageSize,
            maxFrameSize: limits.maxOutboundFrameSize,
            pingInterval: node.configuration.pingInterval,
            logger: logger
        ))
    }
}

/// Writes the `disconnect` push and the close frame to a connection the node could not admit.
final class RefusedConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let push: String
    let code: DisconnectCode

    init(push: String, code: DisconnectCode) {
        self.push = push
        self.code = code
    }

    func handlerAdded(context: ChannelHandlerContext) {
        context.write(Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: self.push))), promise: nil)
        var data = ByteBuffer()
        data.writeInteger(self.code.code)
        data.writeString(self.code.reason)
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))).whenComplete { _ in
            channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if Self.unwrapInboundIn(data).opcode == .connectionClose { context.close(promise: nil) }
    }
}

@available(*, unavailable)
extension RefusedConnectionHandler: Sendable {}

extension HTTPServerBuilder {
    /// An HTTP/1 server whose WebSocket upgrades at `path` go to `node` on the fast path (see
    /// ``NodeChannel``); everything else goes to the application's router.
    public static func tetherNode(_ node: TetherNode, path: String = "/connection/websocket", idleTimeout: Duration? = .seconds(60)) -> HTTPServerBuilder {
        .init { responder in
            NodeChannel(node: node, path: path, responder: responder, idleTimeout: idleTimeout)
        }
    }
}
