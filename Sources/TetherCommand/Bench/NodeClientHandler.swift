import NIOCore

/// What a node-bench WebSocket connection does once connected.
enum NodeClientRole: Sendable {
    /// Subscribe to `channel` in the `connect` command and track its publications.
    case subscriber(channel: String)
    /// Publish to `channel` with `publish` commands at `perSecond` (on ``NodeBenchControl/start``), data of
    /// about `size` bytes.
    case publisher(channel: String, perSecond: Double, size: Int)
}

/// One node-bench WebSocket connection on raw SwiftNIO: upgrade, `connect` (with the subscription), then its
/// ``NodeClientRole``.
///
/// `ready` is completed once: on the connect reply (success, after recording the connect time from
/// `startedAt`) or with an error (refused upgrade or connect, subscription error, close before). A
/// subscriber feeds every `pub` push to a ``NodeOffsetTracker`` and records its latency from the data's
/// timestamp; a publisher runs a ``NodePublishSchedule`` on event-loop timers and counts acknowledgements.
/// Everything it counts goes to its loop's ``NodeBenchLoopStats``. Event-loop confined.
final class NodeClientHandler: ChannelInboundHandler {
    typealias InboundIn = NodeInbound
    typealias OutboundOut = ByteBuffer

    private let request: ByteBuffer
    private let token: String?
    private let role: NodeClientRole
    private let stats: NodeBenchLoopStats
    private let startedAt: UInt64
    private let ready: EventLoopPromise<Void>
    private let maskKey: [UInt8] = (0..<4).map { _ in UInt8.random(in: 0...255) }
    private var connected = false
    private var needsFlush = false
    // Subscriber state.
    private var tracker: NodeOffsetTracker?
    private var expected: Int64?
    // Publisher state.
    private var schedule: NodePublishSchedule?
    private var tick: Scheduled<Void>?
    private var nextID = 2
    private var outstanding = 0

    init(
        target: BenchTarget,
        key: String,
        token: String?,
        role: NodeClientRole,
        stats: NodeBenchLoopStats,
        startedAt: UInt64,
        ready: EventLoopPromise<Void>
    ) {
        let host = target.host.contains(":") ? "[\(target.host)]" : target.host
        self.request = ByteBuffer(
            string: "GET \(target.path) HTTP/1.1\r\nHost: \(host):\(target.port)\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Protocol: tether.v1\r\n\r\n"
        )
        self.token = token
        self.role = role
        self.stats = stats
        self.startedAt = startedAt
        self.ready = ready
    }

    private var channelName: String {
        switch self.role {
        case .subscriber(let channel), .publisher(let channel, _, _): channel
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(self.wrapOutboundOut(self.request), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .handshake(let status):
            guard status == 101 else {
                self.ready.fail(BenchError("upgrade answered \(status)"))
                context.close(promise: nil)
                return
            }
            var subscribe: String?
            if case .subscriber(let channel) = self.role { subscribe = channel }
            self.sendText(context: context, NodePublication.connect(token: self.token, channel: subscribe))
            context.flush()
            self.needsFlush = false
        case .text(let buffer):
            let now = NIODeadline.now().uptimeNanoseconds
            buffer.withUnsafeReadableBytes { frame in
                NodeBenchScanner.forEachMessage(in: frame) { message in
                    self.handle(NodeBenchScanner.classify(message), raw: message, now: now, context: context)
                }
            }
        case .ping(let payload):
            let pong = BenchConnectionHandler.encodeMaskedFrame(opcode: 0xA, payload: Array(buffer: payload), maskKey: self.maskKey)
            context.write(self.wrapOutboundOut(pong), promise: nil)
            self.needsFlush = true
        case .close(let code):
            self.stats.closeCodes[Int64(code ?? 1005), default: 0] += 1
            self.stopPublishing()
            context.close(promise: nil)
        }
    }

    private func handle(_ message: NodeBenchMessage, raw: UnsafeRawBufferPointer, now: UInt64, context: ChannelHandlerContext) {
        switch message {
        case .publication(let offset, let sentAt):
            guard self.tracker != nil else {
                self.stats.errors += 1
                return
            }
            self.stats.deliveries += 1
            if let sentAt, now >= sentAt {
                self.stats.recordLatency(nanoseconds: now - sentAt)
            } else {
                self.stats.untimed += 1
            }
            switch self.tracker!.record(offset) {
            case .inOrder: break
            case .afterGap(let skipped): self.stats.gaps += skipped
            case .outOfOrder: self.stats.outOfOrder += 1
            case .duplicate: self.stats.duplicates += 1
            }
            if let expected = self.expected, self.tracker!.highest >= expected {
                self.expected = nil
                self.stats.caughtUp += 1
            }
        case .reply(1, let offset, let failed) where !self.connected:
            guard !failed else {
                self.ready.fail(BenchError("connect refused: \(String(decoding: raw.prefix(200), as: UTF8.self))"))
                context.close(promise: nil)
                return
            }
            if case .subscriber = self.role {
                guard let offset else {
                    self.ready.fail(BenchError("connect reply without the subscription's position"))
                    context.close(promise: nil)
                    return
                }
                self.tracker = NodeOffsetTracker(start: offset)
            }
            self.connected = true
            self.stats.open += 1
            self.stats.recordConnect(nanoseconds: NIODeadline.now().uptimeNanoseconds &- self.startedAt)
            self.ready.succeed()
        case .reply(_, let offset, let failed):
            guard case .publisher = self.role, self.outstanding > 0 else {
                self.stats.errors += 1
                return
            }
            self.outstanding -= 1
            if failed {
                self.stats.publishFailed += 1
            } else {
                self.stats.acked += 1
                if let offset { self.stats.recordAck(channel: self.channelName, offset: offset) }
            }
        case .disconnect:
            // The close frame that follows carries the same code; it is counted there.
            self.stats.disconnectPushes += 1
        case .ping, .other:
            break
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
        guard let control = event as? NodeBenchControl, self.connected else {
            return context.fireUserInboundEventTriggered(event)
        }
        switch (control, self.role) {
        case (.start, .publisher(_, let perSecond, let size)):
            self.schedule = .randomPhase(perSecond: perSecond, now: NIODeadline.now().uptimeNanoseconds)
            self.scheduleTick(context: context, size: size)
        case (.stop, _):
            self.stopPublishing()
        case (.expect(let lastOffsets), .subscriber(let channel)):
            let target = lastOffsets[channel] ?? 0
            if let tracker = self.tracker, tracker.highest >= target {
                self.stats.caughtUp += 1
            } else {
                self.expected = target
            }
        case (.finish(let lastOffsets), .subscriber(let channel)):
            if let tracker = self.tracker {
                self.stats.lost += tracker.lost(lastPublished: lastOffsets[channel] ?? tracker.highest)
            }
            self.stats.finished += 1
        case (.start, .subscriber), (.expect, .publisher), (.finish, .publisher):
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.stopPublishing()
        if self.connected {
            self.stats.open -= 1
            self.stats.disconnected += 1
        } else {
            self.ready.fail(BenchError("connection closed before the connect reply"))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.stats.errors += 1
        self.ready.fail(error)
        context.close(promise: nil)
    }

    private func stopPublishing() {
        if let schedule = self.schedule {
            self.stats.skipped += schedule.skipped
        }
        self.schedule = nil
        self.tick?.cancel()
        self.tick = nil
    }

    private func scheduleTick(context: ChannelHandlerContext, size: Int) {
        guard let schedule = self.schedule else { return }
        self.tick = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(schedule.tickNanoseconds)) {
            self.onTick(context: context, size: size)
        }
    }

    private func onTick(context: ChannelHandlerContext, size: Int) {
        guard self.schedule != nil else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        let count = self.schedule!.due(at: now, outstanding: self.outstanding)
        if count > 0 {
            let channel = self.channelName
            for _ in 0..<count {
                let command = NodePublication.command(id: self.nextID, channel: channel, sentAt: NIODeadline.now().uptimeNanoseconds, size: size)
                self.nextID = self.nextID == Int(UInt32.max) ? 2 : self.nextID + 1
                self.sendText(context: context, command)
            }
            self.outstanding += count
            self.stats.published += count
            context.flush()
            self.needsFlush = false
        }
        self.scheduleTick(context: context, size: size)
    }

    private func sendText(context: ChannelHandlerContext, _ text: String) {
        let frame = BenchConnectionHandler.encodeMaskedFrame(opcode: 0x1, payload: Array(text.utf8), maskKey: self.maskKey)
        context.write(self.wrapOutboundOut(frame), promise: nil)
        self.needsFlush = true
    }
}

@available(*, unavailable)
extension NodeClientHandler: Sendable {}
