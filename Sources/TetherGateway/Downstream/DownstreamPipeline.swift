import NIOCore
import NIOHTTP1
import NIOSSL
import TetherGatewayCore

/// Builds a downstream connection's pipeline: [PROXY protocol] → [TLS] → head guard → HTTP/1.1 codec →
/// ``DownstreamHandler``. Runs in the listener's child channel initializer, on the connection's event loop.
enum DownstreamPipeline {
    static func configure(_ channel: Channel, listener: ListenerRuntime, runtime: GatewayRuntime) throws {
        let metrics = runtime.metrics.listener(listener.name)
        metrics.total.increment()
        guard runtime.openConnection() else {
            runtime.metrics.refusal(listener: listener.name, reason: .tooManyConnections)
            try channel.pipeline.syncOperations.addHandler(RefuseOnActiveHandler(refusal: .tooManyConnections))
            return
        }
        metrics.active.increment()
        let configuration = listener.configuration
        let tls = listener.tlsContext
        let connection = ConnectionContext(
            id: .make(),
            listener: listener,
            peer: channel.remoteAddress,
            isTLS: tls != nil,
            logger: runtime.logger
        )
        channel.closeFuture.assumeIsolated().whenComplete { _ in
            runtime.closeConnection()
            metrics.active.decrement()
            if let key = connection.countedIP { runtime.releaseIP(key) }
        }
        let sync = channel.pipeline.syncOperations
        if configuration.proxyProtocol {
            try sync.addHandler(ProxyProtocolHandler(connection: connection) { reason in
                runtime.metrics.refusal(listener: listener.name, reason: .invalidProxyProtocol)
                connection.logger.info("refused", metadata: ["reason": "invalid_proxy_protocol", "detail": "\(reason)"])
            })
        }
        if let tls {
            try sync.addHandler(NIOSSLServerHandler(context: tls))
        }
        let limits = runtime.limits
        let headGuard = RequestHeadGuardHandler(
            maxHeadBytes: limits.maxRequestHeadBytes,
            headTimeout: TimeAmount(limits.requestHeadTimeout)
        ) { refusal in
            runtime.metrics.refusal(listener: listener.name, reason: refusal)
            connection.logger.info("refused", metadata: ["reason": "\(refusal.rawValue)", "status": "\(refusal.status)"])
        }
        try sync.addHandler(headGuard)
        try sync.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)))
        try sync.addHandler(HTTPResponseEncoder())
        try sync.addHandler(DownstreamHandler(connection: connection, runtime: runtime, headGuard: headGuard))
    }
}

/// Answers a connection the gateway cannot take (over the connection limit) with a raw refusal and closes it.
final class RefuseOnActiveHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let refusal: GatewayRefusal

    init(refusal: GatewayRefusal) {
        self.refusal = refusal
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(RawHTTPResponse.refusal(refusal, extraHeaders: [("Retry-After", "1")]))).assumeIsolated()
            .whenComplete { _ in context.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

@available(*, unavailable)
extension RefuseOnActiveHandler: Sendable {}
