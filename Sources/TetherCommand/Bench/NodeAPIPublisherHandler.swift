import NIOCore
import NIOHTTP1

/// Publishes to one channel through the node's server API (`POST /api/publish`, docs/protocol.md §8) on one
/// keep-alive HTTP/1.1 connection, pipelining requests (the node answers them in order).
///
/// Runs a ``NodePublishSchedule`` on event-loop timers between ``NodeBenchControl/start`` and
/// ``NodeBenchControl/stop``; a 200 response counts as acknowledged (its position's offset is noted for the
/// channel), anything else as failed. `ready` succeeds when the TCP connection is up. Event-loop confined.
final class NodeAPIPublisherHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let channelName: String
    private let perSecond: Double
    private let size: Int
    private let stats: NodeBenchLoopStats
    private let ready: EventLoopPromise<Void>
    private var schedule: NodePublishSchedule?
    private var tick: Scheduled<Void>?
    private var outstanding = 0
    private var status: HTTPResponseStatus = .ok
    private var body = ByteBuffer()
    private var opened = false

    init(
        api: BenchTarget,
        apiKey: String,
        channel: String,
        perSecond: Double,
        size: Int,
        stats: NodeBenchLoopStats,
        ready: EventLoopPromise<Void>
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(api.host):\(api.port)")
        headers.add(name: "Authorization", value: "apikey \(apiKey)")
        headers.add(name: "Content-Type", value: "application/json")
        let base = api.path.hasSuffix("/") ? String(api.path.dropLast()) : api.path
        self.head = HTTPRequestHead(version: .http1_1, method: .POST, uri: base + "/publish", headers: headers)
        self.channelName = channel
        self.perSecond = perSecond
        self.size = size
        self.stats = stats
        self.ready = ready
    }

    func channelActive(context: ChannelHandlerContext) {
        self.opened = true
        self.ready.succeed()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.status = head.status
            self.body.clear()
        case .body(var part):
            self.body.writeBuffer(&part)
        case .end:
            guard self.outstanding > 0 else {
                self.stats.errors += 1
                return
            }
            self.outstanding -= 1
            let offset = self.body.withUnsafeReadableBytes { NodeBenchScanner.positionOffset(in: $0) }
            if self.status == .ok, let offset {
                self.stats.acked += 1
                self.stats.recordAck(channel: self.channelName, offset: offset)
            } else {
                self.stats.publishFailed += 1
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let control = event as? NodeBenchControl else { return context.fireUserInboundEventTriggered(event) }
        switch control {
        case .start:
            self.schedule = .randomPhase(perSecond: self.perSecond, now: NIODeadline.now().uptimeNanoseconds)
            self.scheduleTick(context: context)
        case .stop:
            self.stopPublishing()
        case .expect, .finish:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.stopPublishing()
        if self.opened { self.stats.disconnected += 1 }
        self.ready.fail(BenchError("API connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.stats.errors += 1
        self.ready.fail(error)
        context.close(promise: nil)
    }

    private func stopPublishing() {
        if let schedule = self.schedule { self.stats.skipped += schedule.skipped }
        self.schedule = nil
        self.tick?.cancel()
        self.tick = nil
    }

    private func scheduleTick(context: ChannelHandlerContext) {
        guard let schedule = self.schedule else { return }
        self.tick = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(schedule.tickNanoseconds)) {
            self.onTick(context: context)
        }
    }

    private func onTick(context: ChannelHandlerContext) {
        guard self.schedule != nil else { return }
        let count = self.schedule!.due(at: NIODeadline.now().uptimeNanoseconds, outstanding: self.outstanding)
        if count > 0 {
            for _ in 0..<count {
                let body = NodePublication.apiBody(channel: self.channelName, sentAt: NIODeadline.now().uptimeNanoseconds, size: self.size)
                var head = self.head
                head.headers.add(name: "Content-Length", value: String(body.utf8.count))
                context.write(self.wrapOutboundOut(.head(head)), promise: nil)
                context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
                context.write(self.wrapOutboundOut(.end(nil)), promise: nil)
            }
            self.outstanding += count
            self.stats.published += count
            context.flush()
        }
        self.scheduleTick(context: context)
    }
}

@available(*, unavailable)
extension NodeAPIPublisherHandler: Sendable {}
