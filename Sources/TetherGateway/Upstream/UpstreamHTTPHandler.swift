import NIOCore
import NIOHTTP1

/// The HTTP end of an upstream connection before any upgrade: it reports the response parts and failures to
/// its owner (the downstream handler of the same event loop) and writes the request parts it is given.
final class UpstreamHTTPHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    enum Event {
        case head(HTTPResponseHead)
        case body(ByteBuffer)
        case end
        /// The connection failed or closed before the response ended.
        case failed(Error?)
    }

    var onEvent: ((Event) -> Void)?
    /// Called when the connection becomes writable again (the downstream resumes reading a request body).
    var onWritable: (() -> Void)?
    /// The endpoint sent FIN after its complete response (a `101` followed by a close, say): the tunnel
    /// replays it once it takes over.
    private(set) var inputClosedAfterResponse = false
    private(set) var context: ChannelHandlerContext?
    private var responseEnded = false
    private var pendingRead = false
    /// While false, reads are held back (the downstream is not writable).
    var readsAllowed = true {
        didSet {
            if readsAllowed, pendingRead, let context {
                pendingRead = false
                context.read()
            }
        }
    }

    init() {}

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            onEvent?(.head(head))
        case .body(let body):
            onEvent?(.body(body))
        case .end:
            responseEnded = true
            onEvent?(.end)
        }
    }

    func read(context: ChannelHandlerContext) {
        if readsAllowed {
            context.read()
        } else {
            pendingRead = true
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? ChannelEvent, event == .inputClosed else {
            return context.fireUserInboundEventTriggered(event)
        }
        if responseEnded {
            inputClosedAfterResponse = true
            return
        }
        // The endpoint closed (crashed, restarted) before answering: a failed attempt, not a wait for the
        // response timeout.
        let callback = onEvent
        onEvent = nil
        callback?(.failed(ChannelError.eof))
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { onWritable?() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let callback = onEvent
        onEvent = nil
        if !responseEnded { callback?(.failed(error)) }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let callback = onEvent
        onEvent = nil
        if !responseEnded { callback?(.failed(nil)) }
        context.fireChannelInactive()
    }

    func send(_ part: HTTPClientRequestPart, flush: Bool) {
        guard let context else { return }
        if flush {
            context.writeAndFlush(wrapOutboundOut(part), promise: nil)
        } else {
            context.write(wrapOutboundOut(part), promise: nil)
        }
    }
}

@available(*, unavailable)
extension UpstreamHTTPHandler: Sendable {}
