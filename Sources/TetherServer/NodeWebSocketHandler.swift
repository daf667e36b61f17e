import Logging
import NIOCore
import NIOWebSocket
import TetherCore
import TetherProtocol

/// The node's WebSocket endpoint as one SwiftNIO handler per connection, installed after the upgrade
/// (behind NIO's frame decoder and encoder; text frames are framed here in one buffer and skip the
/// encoder, control frames go through it). It costs no task while the connection is idle: outbound
/// messages are pulled from the connection's ``OutboundQueue`` on this event loop when the queue wakes it,
/// and inbound commands run on a task only while there are some.
///
/// Contract: every method runs on the channel's event loop. Frames are written in queue order; the queue
/// is drained only while the channel is writable (so the queue's byte bound is real backpressure).
/// Reading pauses while more than `maxPendingInbound` bytes of commands wait. The handler answers pings,
/// sends one every `pingInterval` and closes with 1001 when nothing (not even a pong) arrived for two
/// intervals.
final class NodeWebSocketHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let connection: ClientConnection
    private let inbound = InboundCommands()
    private let maxMessageSize: Int
    private let maxFrameSize: Int
    private let pingInterval: TimeAmount
    private let logger: Logger

    private var context: ChannelHandlerContext?
    /// The frame encoder's context: text frames are framed here and written through it, so they skip the
    /// encoder (which would write the header as a second buffer). Control frames go through the encoder.
    private var framedOutput: ChannelHandlerContext?
    private var fragments: ByteBuffer?
    private var readPaused = false
    private var closeSent = false
    private var lastInbound = NIODeadline.now()
    private var pingTask: RepeatedTask?

    private let wakeups: LoopWakeups

    init(connection: ClientConnection, wakeups: LoopWakeups, maxMessageSize: Int, maxFrameSize: Int, pingInterval: Duration, logger: Logger) {
        self.connection = connection
        self.wakeups = wakeups
        self.maxMessageSize = maxMessageSize
        self.maxFrameSize = maxFrameSize
        self.pingInterval = .nanoseconds(Int64(pingInterval.components.seconds) * 1_000_000_000 + pingInterval.components.attoseconds / 1_000_000_000)
        self.logger = logger
    }

    private var maxPendingInbound: Int { self.maxMessageSize * 4 }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.framedOutput = try? context.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let wakeups = self.wakeups
        let drain: @Sendable () -> Void = { loopBound.value.drainOutbound() }
        self.connection.outbound.setWakeup { wakeups.wake(drain) }
        self.pingTask = context.eventLoop.scheduleRepeatedTask(initialDelay: self.pingInterval, delay: self.pingInterval) { _ in
            loopBound.value.pingOrGiveUp()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.pingTask?.cancel()
        self.connection.outbound.clearWakeup()
        self.context = nil
        self.framedOutput = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.pingTask?.cancel()
        let connection = self.connection
        Task { await connection.terminated() }
        context.fireChannelInactive()
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        self.lastInbound = .now()
        if frame.rsv1 || frame.rsv2 || frame.rsv3 {
            self.closeNow(code: 1002, reason: "reserved bits set")
            return
        }
        switch frame.opcode {
        case .text:
            guard self.fragments == nil else { return self.closeNow(code: 1002, reason: "new message inside a fragmented one") }
            if frame.fin {
                self.message(frame.unmaskedData)
            } else {
                self.fragments = frame.unmaskedData
            }
        case .continuation:
            guard var buffer = self.fragments else { return self.closeNow(code: 1002, reason: "continuation without a message") }
            var data = frame.unmaskedData
            guard buffer.readableBytes + data.readableBytes <= self.maxMessageSize else {
                return self.closeNow(code: 1009, reason: "message too big")
            }
            buffer.writeBuffer(&data)
            if frame.fin {
                self.fragments = nil
                self.message(buffer)
            } else {
                self.fragments = buffer
            }
        case .binary:
            self.connection.receiveBinary()
        case .ping:
            guard frame.fin, frame.length <= 125 else { return self.closeNow(code: 1002, reason: "bad ping") }
            self.write(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData), flush: true)
        case .pong:
            break
        case .connectionClose:
            self.peerClosed(frame)
        default:
            self.closeNow(code: 1002, reason: "unknown opcode")
        }
    }

    private func message(_ buffer: ByteBuffer) {
        guard buffer.readableBytes <= self.maxMessageSize else { return self.closeNow(code: 1009, reason: "message too big") }
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            return self.closeNow(code: 1007, reason: "invalid UTF-8")
        }
        let (startTask, queued) = self.inbound.append(text)
        if queued > self.maxPendingInbound { self.readPaused = true }
        guard startTask, let eventLoop = self.context?.eventLoop else { return }
        let connection = self.connection
        let inbound = self.inbound
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        Task {
            while let text = inbound.next() {
                await connection.receive(text)
            }
            eventLoop.execute { loopBound.value.resumeReading() }
        }
    }

    func read(context: ChannelHandlerContext) {
        if self.readPaused, self.inbound.queuedBytes > self.maxPendingInbound / 2 { return }
        self.readPaused = false
        context.read()
    }

    private func resumeReading() {
        guard self.readPaused, let context = self.context else { return }
        self.readPaused = false
        context.read()
    }

    // MARK: - Outbound

    /// Writes what the queue holds while the channel accepts it; writes the close frame once the queue
    /// has closed and drained.
    func drainOutbound() {
        guard let context = self.context, !self.closeSent else { return }
        if let closing = self.connection.outbound.closing, !closing.flush {
            // A close without flush (slow consumer, protocol error) must not wait for a peer that does not read.
            self.sendClose(code: closing.code, reason: closing.reason, grace: .seconds(1))
            return
        }
        var wrote = false
        while context.channel.isWritable {
            switch self.connection.outbound.take(maxBytes: self.maxFrameSize) {
            case .batch(let text):
                self.writeText(text, context: context)
                wrote = true
            case .empty:
                if wrote { context.flush() }
                return
            case .finished:
                let closing = self.connection.outbound.closing
                self.sendClose(code: closing?.code ?? 1000, reason: closing?.reason ?? "")
                return
            }
        }
        if wrote { context.flush() }
    }

    /// One unmasked, unfragmented text frame in one buffer (RFC 6455 section 5.2), written below the encoder.
    private func writeText(_ text: String, context: ChannelHandlerContext) {
        guard let output = self.framedOutput else {
            context.write(Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text))), promise: nil)
            return
        }
        let length = text.utf8.count
        var buffer = context.channel.allocator.buffer(capacity: length + 10)
        buffer.writeInteger(UInt8(0x81))
        if length <= 125 {
            buffer.writeInteger(UInt8(length))
        } else if length <= Int(UInt16.max) {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(length))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(length))
        }
        buffer.writeString(text)
        output.write(NIOAny(buffer), promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.drainOutbound() }
        context.fireChannelWritabilityChanged()
    }

    private func write(_ frame: WebSocketFrame, flush: Bool) {
        guard let context = self.context else { return }
        context.write(Self.wrapOutboundOut(frame), promise: nil)
        if flush { context.flush() }
    }

    // MARK: - Closing and keep-alive

    /// Sends a close frame and closes the socket once the peer answers, or after `grace`.
    private func sendClose(code: UInt16, reason: String, grace: TimeAmount = .seconds(5)) {
        guard let context = self.context, !self.closeSent else { return }
        self.closeSent = true
        var data = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.writeInteger(code)
        data.writeString(String(reason.utf8.prefix(120)) ?? "")
        context.writeAndFlush(Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)), promise: nil)
        let channel = context.channel
        context.eventLoop.scheduleTask(in: grace) { channel.close(promise: nil) }
    }

    /// A protocol violation on the WebSocket level: close frame, and the queue is closed so nothing else
    /// is written.
    private func closeNow(code: UInt16, reason: String) {
        self.connection.outbound.close(code: code, reason: reason, flush: false)
        self.sendClose(code: code, reason: reason, grace: .seconds(1))
    }

    private func peerClosed(_ frame: WebSocketFrame) {
        guard let context = self.context else { return }
        if !self.closeSent {
            // Echo the peer's code, as RFC 6455 asks, then close.
            var data = frame.unmaskedData
            let code = data.readInteger(as: UInt16.self) ?? 1000
            self.connection.outbound.close(code: code, reason: "peer closed", flush: false)
            self.closeSent = true
            var echo = context.channel.allocator.buffer(capacity: 2)
            echo.writeInteger(code)
            let channel = context.channel
            context.writeAndFlush(Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: echo))).whenComplete { _ in
                channel.close(promise: nil)
            }
        } else {
            context.close(promise: nil)
        }
    }

    private func pingOrGiveUp() {
        guard self.context != nil, !self.closeSent else { return }
        if NIODeadline.now() - self.lastInbound > self.pingInterval * 2 {
            self.logger.debug("no pong: closing", metadata: ["client": "\(self.connection.id)"])
            self.connection.outbound.close(code: 1001, reason: "no pong", flush: false)
            self.sendClose(code: 1001, reason: "no pong")
            return
        }
        self.write(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer()), flush: true)
    }
}

@available(*, unavailable)
extension NodeWebSocketHandler: Sendable {}
