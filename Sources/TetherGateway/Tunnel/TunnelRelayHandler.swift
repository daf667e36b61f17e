import NIOCore

/// The channel end of a ``Tunnel``: one per leg. It hands every read to the tunnel and carries out the
/// tunnel's writes, and it implements read-side backpressure: it only asks its channel for more bytes while
/// the partner leg is writable, and resumes when the partner's writability comes back.
///
/// Threading: both legs of a tunnel live on the same event loop; every method runs there.
final class TunnelRelayHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let side: TunnelSide
    /// Strong until the tunnel ends: the tunnel and its handlers form a cycle that ``Tunnel/finish()`` breaks.
    var tunnel: Tunnel?
    private(set) var context: ChannelHandlerContext?
    private var pendingRead = false

    init(side: TunnelSide) {
        self.side = side
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        tunnel?.received(unwrapInboundIn(data), from: side)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        tunnel?.flush(to: side.other)
    }

    func read(context: ChannelHandlerContext) {
        if tunnel?.isWritable(side.other) ?? true {
            context.read()
        } else {
            pendingRead = true
        }
    }

    /// Called by the tunnel when the partner leg became writable again.
    func resumeReadingIfPending() {
        guard pendingRead, let context else { return }
        pendingRead = false
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            tunnel?.becameWritable(side)
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            tunnel?.inputClosed(side)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        tunnel?.legClosed(side)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        tunnel?.legFailed(side, error: error)
    }

    func write(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    var isWritable: Bool { context?.channel.isWritable ?? false }
}

@available(*, unavailable)
extension TunnelRelayHandler: Sendable {}
