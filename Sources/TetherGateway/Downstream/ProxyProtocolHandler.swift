import NIOCore
import TetherGatewayCore

/// Reads the PROXY protocol (v1 or v2) header that a listener with `proxy_protocol: true` expects before
/// any other byte, records the announced source address, then removes itself and passes on what follows.
/// A connection without a valid header is closed (and counted) without an answer.
final class ProxyProtocolHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let connection: ConnectionContext
    private let onInvalid: (String) -> Void
    private var buffered = ByteBuffer()
    private var done = false

    init(connection: ConnectionContext, onInvalid: @escaping (String) -> Void) {
        self.connection = connection
        self.onInvalid = onInvalid
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return context.fireChannelRead(data) }
        var incoming = unwrapInboundIn(data)
        buffered.writeBuffer(&incoming)
        switch ProxyProtocolParser.parse(buffered) {
        case .needMoreData:
            if buffered.readableBytes > 16 + ProxyProtocolParser.maxV2PayloadLength {
                fail("header too long", context: context)
            }
        case .invalid(let reason):
            fail(reason, context: context)
        case .header(let header):
            done = true
            connection.proxySourceIP = header.source
            buffered.moveReaderIndex(forwardBy: header.consumedBytes)
            let rest = buffered
            buffered = ByteBuffer()
            if rest.readableBytes > 0 {
                context.fireChannelRead(wrapInboundOut(rest))
            }
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
        }
    }

    private func fail(_ reason: String, context: ChannelHandlerContext) {
        done = true
        onInvalid(reason)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension ProxyProtocolHandler: Sendable {}
