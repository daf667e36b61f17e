import NIOCore
import TetherGatewayCore

/// Bounds how long and how large a request head may be, in front of the HTTP decoder.
///
/// Armed while the connection waits for a request head: it counts raw bytes and answers 431 when they exceed
/// the limit, and answers 408 when the head has not arrived by the deadline (slowloris). A keep-alive
/// connection that sends nothing at all before its idle deadline is simply closed. The downstream handler
/// disarms it when a head is complete and re-arms it when the connection is idle again.
final class RequestHeadGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let maxHeadBytes: Int
    private let headTimeout: TimeAmount
    private let onRefusal: (GatewayRefusal) -> Void
    private var context: ChannelHandlerContext?
    private var armed = false
    private var seen = 0
    private var deadline: Scheduled<Void>?
    private var idleTimeout: TimeAmount?

    init(maxHeadBytes: Int, headTimeout: TimeAmount, onRefusal: @escaping (GatewayRefusal) -> Void) {
        self.maxHeadBytes = maxHeadBytes
        self.headTimeout = headTimeout
        self.onRefusal = onRefusal
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        arm(idleTimeout: nil)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        self.context = nil
    }

    /// Starts guarding the next head. With `idleTimeout`, a connection that sends no byte at all within it is
    /// closed quietly; once a byte arrives the head deadline applies.
    func arm(idleTimeout: TimeAmount?) {
        armed = true
        seen = 0
        self.idleTimeout = idleTimeout
        schedule(idleTimeout ?? headTimeout)
    }

    func disarm() {
        armed = false
        deadline?.cancel()
        deadline = nil
    }

    private func schedule(_ delay: TimeAmount) {
        deadline?.cancel()
        guard let context else { return }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            fire()
        }
    }

    private func fire() {
        guard armed, let context else { return }
        armed = false
        if seen == 0 && idleTimeout != nil {
            context.close(promise: nil)
        } else {
            refuse(.headTimeout, context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard armed else { return context.fireChannelRead(data) }
        let buffer = unwrapInboundIn(data)
        if seen == 0 && idleTimeout != nil {
            idleTimeout = nil
            schedule(headTimeout)
        }
        seen += buffer.readableBytes
        if seen <= maxHeadBytes {
            return context.fireChannelRead(data)
        }
        // Over the limit: pass the bytes on first, since a read may carry a small head and its body; the
        // downstream handler disarms the guard as soon as the decoder has produced the head.
        context.fireChannelRead(data)
        if armed {
            armed = false
            refuse(.headTooLarge, context: context)
        }
    }

    private func refuse(_ refusal: GatewayRefusal, context: ChannelHandlerContext) {
        onRefusal(refusal)
        context.writeAndFlush(wrapOutboundOut(RawHTTPResponse.refusal(refusal)), promise: nil)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension RequestHeadGuardHandler: Sendable {}
