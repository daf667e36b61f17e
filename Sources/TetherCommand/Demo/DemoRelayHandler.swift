import NIOCore

/// One direction of a ``DemoFaultProxy`` connection: every byte read on its channel is written to the
/// partner channel, and when either side closes the other is closed too (no half-close: a demo node that
/// goes away takes the whole TCP connection with it, as a crashed process would).
///
/// Threading: both channels of a pair live on the same event loop; every method runs on it. Bytes read
/// before the partner is connected are held and written, in order, once it is. There is no backpressure
/// (a slow reader lets the writer's buffer grow): fine for demo traffic, not for a real proxy.
final class DemoRelayHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private var partner: Channel?
    private var held: [ByteBuffer] = []
    private var closed = false

    init(partner: Channel? = nil) {
        self.partner = partner
    }

    /// Connects the pair; flushes what arrived meanwhile, or closes the partner if this side already closed.
    func attach(_ partner: Channel) {
        self.partner = partner
        if self.closed {
            partner.close(promise: nil)
            return
        }
        for buffer in self.held { partner.write(buffer, promise: nil) }
        self.held.removeAll()
        partner.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        if let partner = self.partner {
            partner.writeAndFlush(buffer, promise: nil)
        } else {
            self.held.append(buffer)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.closed = true
        self.partner?.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
