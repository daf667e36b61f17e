import NIOCore
import NIOWebSocket

/// The channel end of one leg of a ``SessionRelay``: the client's connection, or one connection to a node
/// (a session has one, two while it migrates). It hands whole messages and control frames to the relay,
/// writes the relay's frames (masked towards a node, as a client must), and holds reads back while the
/// relay says the other side cannot take more (``SessionRelay/mayRead(_:)``).
///
/// Frames that arrive before the relay attaches (the bytes that followed a `101`) wait, at most
/// ``maxEarlyFrames`` (past that the connection is closed, never silently trimmed), and are handed over by
/// ``attach(_:)``; frames reaching a retired leg are dropped. Threading: every method runs on the leg's
/// event loop, the relay's.
final class SessionLegHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    enum Role { case client, upstream }

    let role: Role
    /// Strong until the relay detaches the leg (``detach()``) or finishes.
    private(set) var relay: SessionRelay?
    private(set) var context: ChannelHandlerContext?
    private var early: [WebSocketFrame] = []
    private var earlyEnd = false
    private var pendingRead = false
    private var retired = false
    static let maxEarlyFrames = 1024
    /// A close frame that is not written within this long (a peer that does not read) closes the connection
    /// anyway.
    static let closeTimeout = TimeAmount.seconds(5)

    init(role: Role) {
        self.role = role
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Starts handing frames to `relay`, first those that arrived before.
    func attach(_ relay: SessionRelay) {
        self.relay = relay
        let waiting = early
        early = []
        for frame in waiting where self.relay != nil {
            relay.received(frame, from: self)
        }
        if earlyEnd || context == nil {
            relay.legClosed(self, error: nil)
        }
    }

    /// Stops handing anything to the relay (the leg is being retired); the channel is closed by the caller.
    func detach() {
        relay = nil
        retired = true
        early = []
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if let relay {
            relay.received(frame, from: self)
        } else if !retired {
            guard early.count < Self.maxEarlyFrames else { return context.close(promise: nil) }
            early.append(frame)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        relay?.flushAll()
    }

    func read(context: ChannelHandlerContext) {
        if relay?.mayRead(self) ?? true {
            context.read()
        } else {
            pendingRead = true
        }
    }

    /// Issues a read held back by ``read(context:)``.
    func resumeReading() {
        guard pendingRead, let context else { return }
        pendingRead = false
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { relay?.becameWritable(self) }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // A peer that half-closes is gone as far as the protocol is concerned.
            if let relay { relay.legClosed(self, error: nil) } else { earlyEnd = true }
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let relay { relay.legClosed(self, error: nil) } else { earlyEnd = true }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let relay { relay.legClosed(self, error: error) } else { earlyEnd = true }
        context.close(promise: nil)
    }

    // MARK: Writes

    func writeText(_ text: String) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        write(WebSocketFrame(fin: true, opcode: .text, data: buffer))
    }

    func write(_ frame: WebSocketFrame) {
        guard let context else { return }
        var frame = frame
        if role == .upstream { frame.maskKey = .random() }
        context.write(wrapOutboundOut(frame), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    /// Sends a close frame, then closes the connection once it is written.
    func close(code: UInt16, reason: String) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        buffer.writeInteger(code)
        buffer.writeString(String(reason.utf8.prefix(120)) ?? "")
        var frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: buffer)
        if role == .upstream { frame.maskKey = .random() }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(frame)).assumeIsolated().whenComplete { _ in
            channel.close(promise: nil)
        }
        channel.eventLoop.assumeIsolated().scheduleTask(in: Self.closeTimeout) {
            channel.close(promise: nil)
        }
    }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    /// Bytes queued on the channel and not yet written to the socket.
    var bufferedBytes: Int {
        (try? context?.channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
    }
}

extension SessionLegHandler {
    /// Puts the WebSocket frame handlers and this leg right after an HTTP decoder (whose owner has already
    /// removed the other HTTP handlers), then removes the decoder, which hands the bytes it still holds (the
    /// first frames) to them; `done` runs on the channel's loop once it is gone. A client leg also gets
    /// `WebSocketProtocolErrorHandler`, so a malformed frame is answered with `1002`.
    func install(
        after decoder: ChannelHandlerContext,
        in pipeline: ChannelPipeline.SynchronousOperations,
        on eventLoop: EventLoop,
        maxMessageBytes: Int,
        then done: @escaping () -> Void
    ) throws {
        var handlers: [ChannelHandler] = [WebSocketFrameEncoder(), ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxMessageBytes))]
        if role == .client { handlers.append(WebSocketProtocolErrorHandler()) }
        handlers.append(NIOWebSocketFrameAggregator(
            minNonFinalFragmentSize: 0,
            maxAccumulatedFrameCount: role == .client ? 1024 : 4096,
            maxAccumulatedFrameSize: maxMessageBytes
        ))
        handlers.append(self)
        try pipeline.addHandlers(handlers, position: .after(decoder.handler))
        let removed = eventLoop.makePromise(of: Void.self)
        pipeline.removeHandler(context: decoder, promise: removed)
        removed.futureResult.assumeIsolated().whenComplete { _ in done() }
    }
}

@available(*, unavailable)
extension SessionLegHandler: Sendable {}
