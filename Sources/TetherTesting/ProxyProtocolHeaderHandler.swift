import NIOCore

/// Writes a PROXY protocol v1 line (`PROXY TCP4 <source> <destination> <source port> <destination port>\r\n`)
/// as the very first bytes of the connection, then removes itself.
///
/// Must sit first in the pipeline (before TLS), so the line goes out in clear text before anything else.
/// The source port is the connection's real local port; destination is the real remote address.
final class ProxyProtocolHeaderHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let source: String

    init(source: String) {
        self.source = source
    }

    func channelActive(context: ChannelHandlerContext) {
        let family = self.source.contains(":") ? "TCP6" : "TCP4"
        let remote = context.channel.remoteAddress
        let destination = remote?.ipAddress ?? "127.0.0.1"
        let sourcePort = context.channel.localAddress?.port ?? 0
        let destinationPort = remote?.port ?? 0
        let line = "PROXY \(family) \(self.source) \(destination) \(sourcePort) \(destinationPort)\r\n"
        context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(string: line)), promise: nil)
        context.fireChannelActive()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

@available(*, unavailable)
extension ProxyProtocolHeaderHandler: Sendable {}
