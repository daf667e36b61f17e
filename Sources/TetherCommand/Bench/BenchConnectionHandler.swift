import NIOCore

/// What a benchmark connection does once open.
enum BenchWorkload: Sendable {
    /// Hold the connection; only answer pings.
    case idle
    /// Keep `inFlight` messages outstanding: every echo triggers the next send.
    case closedLoop(inFlight: Int)
    /// Send at `perSecond` messages per second on this connection, whatever the replies do.
    case rate(perSecond: Double)
}

/// One load-generator connection: sends the upgrade request, then messages per its ``BenchWorkload``, and
/// records each echo's round-trip time in the loop's ``BenchLoopStats``.
///
/// Echoes come back in order, so send times are kept in a FIFO. Messages are one pre-encoded, pre-masked
/// binary frame written again and again (no per-message allocation or task). Sending starts and stops on
/// ``BenchControl`` events. `handshake` is completed once: on the 101, or with an error. Event-loop confined.
final class BenchConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = BenchInbound
    typealias OutboundOut = ByteBuffer

    /// A rate-limited connection stops sending while this many messages are unanswered.
    static let maxOutstanding = 10_000
    /// Most messages a rate-limited connection sends in one tick (catching up after a stall).
    static let maxBurst = 1_000

    private let request: ByteBuffer
    private let frame: ByteBuffer
    private let size: Int
    private let workload: BenchWorkload
    private let stats: BenchLoopStats
    private let handshake: EventLoopPromise<Void>
    private var opened = false
    private var running = false
    private var needsFlush = false
    private var sendTimes = CircularBuffer<UInt64>(initialCapacity: 16)
    /// Rate mode: when sending started, how many messages were due so far, and the next tick.
    private var rateStart: UInt64 = 0
    private var planned = 0
    private var tick: Scheduled<Void>?

    init(
        target: BenchTarget,
        key: String,
        size: Int,
        workload: BenchWorkload,
        stats: BenchLoopStats,
        handshake: EventLoopPromise<Void>
    ) {
        let host = target.host.contains(":") ? "[\(target.host)]" : target.host
        self.request = ByteBuffer(
            string: "GET \(target.path) HTTP/1.1\r\nHost: \(host):\(target.port)\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        let maskKey: [UInt8] = (0..<4).map { _ in UInt8.random(in: 0...255) }
        self.frame = Self.encodeMaskedFrame(opcode: 0x2, payload: (0..<size).map { UInt8(truncatingIfNeeded: $0) }, maskKey: maskKey)
        self.size = size
        self.workload = workload
        self.stats = stats
        self.handshake = handshake
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(self.wrapOutboundOut(self.request), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .message(let length):
            guard let sentAt = self.sendTimes.popFirst() else {
                self.stats.errors += 1
                return
            }
            self.stats.received += 1
            self.stats.record(roundTripNanoseconds: NIODeadline.now().uptimeNanoseconds &- sentAt)
            if length != self.size { self.stats.mismatched += 1 }
            if self.running, case .closedLoop = self.workload {
                self.send(context: context, count: 1)
            }
        case .ping(let payload):
            let pong = Self.encodeMaskedFrame(opcode: 0xA, payload: Array(buffer: payload), maskKey: [1, 2, 3, 4])
            context.write(self.wrapOutboundOut(pong), promise: nil)
            self.needsFlush = true
        case .close:
            self.running = false
            context.close(promise: nil)
        case .handshake(let status):
            guard status == 101 else {
                self.handshake.fail(BenchError("upgrade answered \(status)"))
                context.close(promise: nil)
                return
            }
            self.opened = true
            self.stats.open += 1
            self.handshake.succeed()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if self.needsFlush {
            self.needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let control = event as? BenchControl, self.opened else {
            return context.fireUserInboundEventTriggered(event)
        }
        switch (control, self.workload) {
        case (.start, .closedLoop(let inFlight)):
            self.running = true
            self.send(context: context, count: inFlight)
            context.flush()
        case (.start, .rate(let perSecond)):
            self.running = true
            let interval = max(1e9 / perSecond, 200_000)
            // Spread the connections' first sends over one interval so they do not send in lockstep.
            self.rateStart = NIODeadline.now().uptimeNanoseconds + UInt64(Double.random(in: 0..<interval))
            self.planned = 0
            self.scheduleTick(context: context, perSecond: perSecond, interval: Int64(interval))
        case (.stop, _):
            self.running = false
            self.tick?.cancel()
            self.tick = nil
        case (.start, .idle):
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.tick?.cancel()
        if self.opened {
            self.stats.open -= 1
            self.stats.disconnected += 1
        } else {
            self.handshake.fail(BenchError("connection closed before the upgrade completed"))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.stats.errors += 1
        self.handshake.fail(error)
        context.close(promise: nil)
    }

    private func send(context: ChannelHandlerContext, count: Int) {
        let now = NIODeadline.now().uptimeNanoseconds
        for _ in 0..<count {
            self.sendTimes.append(now)
            context.write(self.wrapOutboundOut(self.frame), promise: nil)
        }
        self.stats.sent += count
        self.needsFlush = true
    }

    private func scheduleTick(context: ChannelHandlerContext, perSecond: Double, interval: Int64) {
        self.tick = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(interval)) {
            self.onTick(context: context, perSecond: perSecond, interval: interval)
        }
    }

    private func onTick(context: ChannelHandlerContext, perSecond: Double, interval: Int64) {
        guard self.running else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        if now > self.rateStart {
            let due = Int(Double(now - self.rateStart) / 1e9 * perSecond) - self.planned
            if due > 0 {
                self.planned += due
                let burst = min(due, Self.maxBurst)
                if self.sendTimes.count + burst > Self.maxOutstanding {
                    self.stats.skipped += due
                } else {
                    self.stats.skipped += due - burst
                    self.send(context: context, count: burst)
                    self.needsFlush = false
                    context.flush()
                }
            }
        }
        self.scheduleTick(context: context, perSecond: perSecond, interval: interval)
    }

    /// A client frame (FIN set) with `payload` masked by `maskKey` (RFC 6455 §5.2–5.3).
    static func encodeMaskedFrame(opcode: UInt8, payload: [UInt8], maskKey: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(payload.count + 14)
        buffer.writeInteger(0x80 | opcode)
        switch payload.count {
        case 0..<126:
            buffer.writeInteger(UInt8(0x80 | payload.count))
        case 126...0xFFFF:
            buffer.writeInteger(UInt8(0x80 | 126))
            buffer.writeInteger(UInt16(payload.count))
        default:
            buffer.writeInteger(UInt8(0x80 | 127))
            buffer.writeInteger(UInt64(payload.count))
        }
        buffer.writeBytes(maskKey)
        buffer.writeBytes(payload.enumerated().map { $0.element ^ maskKey[$0.offset & 3] })
        return buffer
    }
}

@available(*, unavailable)
extension BenchConnectionHandler: Sendable {}
