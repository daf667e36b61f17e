import Logging
import NIOCore
import NIOWebSocket
import TetherGatewayCore
import TetherProtocol

/// One client in session mode: the client's WebSocket, the node connection its session is bound to, and a
/// ``SessionTracker`` deciding what crosses (DESIGN.md "Session mode"). The client's connection outlives
/// its node: when the node's connection closes, fails, stops answering pings or sends a reconnect
/// `disconnect`, the relay re-binds (dials another endpoint, resumes the session there with the positions
/// the client has, forwards what it missed and nothing twice); when the endpoint is drained or a rebalance
/// picks the session, it migrates (the same, but the old node keeps delivering until the new one has
/// answered, so nothing pauses).
///
/// Ordering: frames reach the client in the order the tracker emits them; a re-bind's recovered
/// publications come before anything the new node sends live, and the tracker drops what the client
/// already has, so the client sees each publication of a channel once, in offset order.
///
/// Bounds: the tracker bounds requests in flight and commands held during a re-bind; writes to a client
/// that does not read are bounded by `maxBufferedBytes` (the node's reads stop while the client is not
/// writable, so only one read's worth can pile up); past any bound, or when no endpoint takes the session
/// within `rebindTimeout`, the client is closed with a reconnect code and resumes by itself.
///
/// Ownership and threading: created on the client channel's event loop; every leg lives on that loop and
/// every method runs there. The relay and its legs keep each other alive until ``finish()``.
final class SessionRelay {
    let id: ConnectionID
    let cluster: ClusterRuntime
    let eventLoop: EventLoop
    /// The endpoint the session is bound to (the last one, while it re-binds).
    private(set) var endpoint: String

    private let client: SessionLegHandler
    private var upstream: SessionLegHandler?
    /// The node a re-bind resumes the session on, until it answers the `connect`.
    private var candidate: (leg: SessionLegHandler, target: ClusterRuntime.Target)?
    private var tracker: SessionTracker
    private let dialer: SessionDialer
    private let runtime: GatewayRuntime
    private let settings: SessionModeConfiguration
    private let keepAlive: KeepAliveConfiguration
    private let metrics: SessionMetrics
    private var endpointMetrics: EndpointMetrics
    private let baseLogger: Logger

    private struct Rebind {
        var reason: SessionMetrics.RebindReason
        var startedAt: NIODeadline
        var deadline: NIODeadline
        /// Not tried first (the endpoint just lost or being left).
        var excluded: String?
        /// A rebalance moves only to these (the endpoints below the average).
        var towards: Set<String>?
        var dialing = false
        var attempts = 0
        /// When the current candidate's connection was open (the rest of the re-bind is the node's resume).
        var candidateOpenAt: NIODeadline?
    }
    private var rebind: Rebind?

    private enum State { case open, finished }
    private var state = State.open
    /// A close frame was sent to the client; its connection closes once that is written.
    private var clientClosing = false
    /// When a drain last asked this session to move (it tries again while its endpoint stays drained).
    private var drainTriedAt: NIODeadline?
    /// When a tick first saw the tracker catching up (the node's answers are awaited only so long).
    private var catchUpSeenAt: NIODeadline?
    private var lastClientRead: NIODeadline
    /// Last text either way (the idle timeout, as for tunnels).
    private var lastData: NIODeadline
    private var lastUpstreamRead: NIODeadline
    private var clientPingSentAt: NIODeadline?
    private var upstreamPingSentAt: NIODeadline?
    private var reportedReplayed = 0
    private var reportedDuplicates = 0

    /// Called once when the session ends (unregistering).
    var onFinish: ((SessionRelay) -> Void)?

    private static let keepAlivePayload = ByteBuffer(string: "tether-session-keepalive")

    init(
        id: ConnectionID,
        client: SessionLegHandler,
        upstream: SessionLegHandler,
        endpoint: String,
        cluster: ClusterRuntime,
        dialer: SessionDialer,
        runtime: GatewayRuntime,
        logger: Logger
    ) {
        self.id = id
        self.client = client
        self.upstream = upstream
        self.endpoint = endpoint
        self.cluster = cluster
        self.eventLoop = dialer.eventLoop
        self.dialer = dialer
        self.runtime = runtime
        let configuration = cluster.configuration
        self.settings = configuration.session
        self.keepAlive = configuration.keepAlive
        self.tracker = SessionTracker(
            keyPrefix: "gw-\(id.value)-\(UInt32.random(in: 0...UInt32.max))",
            limits: .init(maxInFlight: configuration.session.maxInFlight, maxQueuedBytes: configuration.session.maxBufferedBytes)
        )
        self.metrics = runtime.metrics.session(cluster: cluster.name)
        self.endpointMetrics = runtime.metrics.endpoint(cluster: cluster.name, endpoint: endpoint)
        self.baseLogger = logger
        let now = NIODeadline.now()
        self.lastClientRead = now
        self.lastData = now
        self.lastUpstreamRead = now
    }

    /// Attaches both legs (frames that arrived meanwhile are handled now) and counts the session.
    func start() {
        endpointMetrics.sessionsActive.increment()
        client.attach(self)
        upstream?.attach(self)
    }

    var isFinished: Bool { state == .finished }

    /// The connection's logger with the session id once the node has given one.
    private var logger: Logger {
        var logger = baseLogger
        if let session = tracker.sessionID { logger[metadataKey: "session"] = "\(session)" }
        return logger
    }

    // MARK: Frames

    func received(_ frame: WebSocketFrame, from leg: SessionLegHandler) {
        guard state == .open else { return }
        if leg === client {
            fromClient(frame)
        } else if leg === upstream || leg === candidate?.leg {
            fromUpstream(frame, leg: leg)
        }
    }

    private func fromClient(_ frame: WebSocketFrame) {
        let now = NIODeadline.now()
        lastClientRead = now
        clientPingSentAt = nil
        switch frame.opcode {
        case .text:
            lastData = now
            guard let text = String(validating: frame.unmaskedData.readableBytesView, as: UTF8.self) else {
                return closeClient(code: 1007, reason: "text frame is not UTF-8", because: .protocol)
            }
            do throws(SessionTracker.Failure) {
                apply(try tracker.fromClient(text))
            } catch {
                clientFailed(error)
            }
        case .binary:
            closeClient(code: 1003, reason: "binary frames are not part of the protocol", because: .protocol)
        case .ping:
            client.write(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData))
        case .connectionClose:
            // The client ends its session: answer its close, tell the node, done.
            closeClientLeg(code: frame.unmaskedData.getInteger(at: frame.unmaskedData.readerIndex, as: UInt16.self) ?? 1000, reason: "")
            retireUpstreams(code: 1000, reason: "client closed")
            finish()
        default:
            break
        }
    }

    private func fromUpstream(_ frame: WebSocketFrame, leg: SessionLegHandler) {
        if leg === upstream {
            lastUpstreamRead = .now()
            upstreamPingSentAt = nil
        }
        switch frame.opcode {
        case .text:
            lastData = .now()
            if forwardPublications(frame.unmaskedData) { return }
            guard let text = String(validating: frame.unmaskedData.readableBytesView, as: UTF8.self) else {
                return upstreamFailed(leg, reason: .error, detail: "text frame is not UTF-8")
            }
            let output: SessionTracker.Output
            do throws(SessionTracker.Failure) {
                output = try tracker.fromUpstream(text)
            } catch {
                return trackerFailed(error, leg: leg)
            }
            if leg === candidate?.leg, !tracker.isRebinding {
                rebindCompleted()
            }
            apply(output)
            if output.rebind, state == .open {
                if leg === candidate?.leg {
                    dropCandidate()
                } else if leg === upstream {
                    lostUpstream(.nodeDisconnect)
                }
            }
            reportTrackerCounters()
        case .ping:
            leg.write(WebSocketFrame(fin: true, opcode: .pong, data: frame.data))
            leg.flush()
        case .connectionClose:
            legClosed(leg, error: nil)
        default:
            break
        }
    }

    /// The fast path for live traffic: a frame of nothing but `pub` pushes in the node's own form
    /// (``PubPushHeader``) goes to the client as it came, without decoding, minus the lines the client
    /// already has. The tracker sees each one exactly as through ``SessionTracker/fromUpstream(_:)``. False
    /// (and nothing done) for any other frame.
    private func forwardPublications(_ data: ByteBuffer) -> Bool {
        let lines = data.withUnsafeReadableBytes { bytes -> [(range: Range<Int>, header: PubPushHeader)]? in
            var lines: [(range: Range<Int>, header: PubPushHeader)] = []
            var start = 0
            while start < bytes.count {
                let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
                if end > start {
                    guard let header = PubPushHeader.parse(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) else { return nil }
                    lines.append((start..<end, header))
                }
                start = end + 1
            }
            return lines
        }
        guard let lines, !lines.isEmpty, !lines.contains(where: { tracker.isHolding($0.header.channel) }) else { return false }
        let kept = lines.filter { tracker.livePublication($0.header) }.map(\.range)
        if kept.count == lines.count {
            client.write(WebSocketFrame(fin: true, opcode: .text, data: data))
        } else if !kept.isEmpty {
            var joined = ByteBuffer()
            for (index, range) in kept.enumerated() {
                if index > 0 { joined.writeInteger(UInt8(ascii: "\n")) }
                if var line = data.getSlice(at: data.readerIndex + range.lowerBound, length: range.count) {
                    joined.writeBuffer(&line)
                }
            }
            client.write(WebSocketFrame(fin: true, opcode: .text, data: joined))
        }
        reportTrackerCounters()
        closeClientIfBacklogged()
        return true
    }

    /// Past `max_buffered_bytes` waiting to be written, the client is closed with 3003 (it resumes by itself).
    private func closeClientIfBacklogged() {
        if client.bufferedBytes > settings.maxBufferedBytes {
            closeClient(code: DisconnectCode.slowConsumer.code, reason: "slow consumer", because: .backlog)
        }
    }

    /// Sends what the tracker decided: to the client, then to the bound node.
    private func apply(_ output: SessionTracker.Output) {
        // One frame per batch, as the node batches (the protocol allows several messages per text frame,
        // one per line).
        if !output.toClient.isEmpty { client.writeText(output.toClient.joined(separator: "\n")) }
        if !output.toUpstream.isEmpty {
            if let upstream {
                for text in output.toUpstream { upstream.writeText(text) }
            } else {
                // Only before the session started (nothing held by the tracker): there is nothing to
                // resume, so the client starts again by itself.
                return closeClient(code: DisconnectCode.reconnectRequested.code, reason: "node lost before the session started", because: .rebindRefused)
            }
        }
        if let code = output.closeClient {
            client.flush()
            return closeClient(code: code.code, reason: code.reason, because: nil)
        }
        closeClientIfBacklogged()
    }

    func flushAll() {
        client.flush()
        upstream?.flush()
        candidate?.leg.flush()
    }

    // MARK: Backpressure

    /// Whether `leg` may read: the client only while the bound node takes writes (or while commands are
    /// held, which the tracker bounds), a node only while the client takes writes.
    func mayRead(_ leg: SessionLegHandler) -> Bool {
        if leg === client { return upstream?.isWritable ?? true }
        return client.isWritable
    }

    func becameWritable(_ leg: SessionLegHandler) {
        if leg === client {
            upstream?.resumeReading()
            candidate?.leg.resumeReading()
        } else if leg === upstream {
            client.resumeReading()
        }
    }

    // MARK: Losing the node, re-binding

    func legClosed(_ leg: SessionLegHandler, error: Error?) {
        guard state == .open else { return }
        if leg === client {
            retireUpstreams(code: 1001, reason: "client gone")
            finish()
        } else if leg === upstream {
            upstreamFailed(leg, reason: error == nil ? .closed : .error, detail: error.map { "\($0)" })
        } else if leg === candidate?.leg {
            dropCandidate()
        }
    }

    private func upstreamFailed(_ leg: SessionLegHandler, reason: SessionMetrics.RebindReason, detail: String?) {
        if leg === candidate?.leg { return dropCandidate() }
        guard leg === upstream else { return }
        logger.info("session lost its node", metadata: ["endpoint": "\(endpoint)", "reason": "\(reason.rawValue)", "detail": "\(detail ?? "-")"])
        lostUpstream(reason)
    }

    /// The bound node is gone: hold the client's commands and find another (unless a migration already is).
    private func lostUpstream(_ reason: SessionMetrics.RebindReason) {
        if let upstream { retire(upstream, code: 1001, reason: "session moving") }
        upstream = nil
        upstreamPingSentAt = nil
        guard tracker.sessionID != nil else {
            return closeClient(code: DisconnectCode.reconnectRequested.code, reason: "node lost before the session started", because: .rebindRefused)
        }
        if !tracker.isRebinding { _ = tracker.startRebind() }  // from now on the client's commands are held
        client.resumeReading()  // it may have waited for the lost node to take writes
        if rebind == nil {
            let now = NIODeadline.now()
            rebind = Rebind(reason: reason, startedAt: now, deadline: now + TimeAmount(settings.rebindTimeout), excluded: endpoint)
        }
        dialNext()  // unless a migration's dial or candidate is already under way
    }

    /// Whether a re-bind or migration is under way.
    var isMoving: Bool { rebind != nil }

    /// Moves the session to another endpoint (only to `towards`, when given) while the current one keeps
    /// serving it (drain, rebalance). False when it cannot start now (already moving, not yet started,
    /// finished).
    @discardableResult
    func migrate(_ reason: SessionMetrics.RebindReason, towards: Set<String>? = nil) -> Bool {
        if reason == .drain { drainTriedAt = .now() }
        guard state == .open, upstream != nil, rebind == nil, tracker.sessionID != nil, tracker.isSettled else { return false }
        let now = NIODeadline.now()
        rebind = Rebind(reason: reason, startedAt: now, deadline: now + TimeAmount(settings.rebindTimeout), excluded: endpoint, towards: towards)
        dialNext()
        return true
    }

    private func dialNext() {
        guard state == .open, var current = rebind, candidate == nil, !current.dialing else { return }
        // A migration never lands where it leaves; a lost node is tried again only after the others.
        let leaving = upstream != nil ? endpoint : nil
        var targets = cluster.rebindTargets(excluding: leaving, now: runtime.now())
        if let towards = current.towards { targets = targets.filter { towards.contains($0.id) } }
        if leaving == nil, let excluded = current.excluded, let index = targets.firstIndex(where: { $0.id == excluded }) {
            let lost = targets.remove(at: index)
            if current.attempts > 0 || targets.isEmpty { targets.append(lost) }
        }
        current.attempts += 1
        guard !targets.isEmpty else {
            rebind = current
            return retryLater()
        }
        current.dialing = true
        rebind = current
        dialer.dial(targets, deadline: current.deadline) { [self] result in
            rebind?.dialing = false
            switch result {
            case .success(let opened):
                guard state == .open, rebind != nil else {
                    opened.leg.close(code: 1000, reason: "not needed")
                    return
                }
                if upstream != nil, !tracker.isRebinding, !tracker.isSettled {
                    // A migration, but the gateway's own requests to the old node are outstanding (a catch-up
                    // began meanwhile): resuming now would void them. Not now.
                    opened.leg.close(code: 1000, reason: "not now")
                    return retryLater()
                }
                candidate = (opened.leg, opened.target)
                rebind?.candidateOpenAt = .now()
                opened.leg.attach(self)
                guard candidate?.leg === opened.leg else { return }  // it closed while attaching
                let output = tracker.startRebind()
                for text in output.toUpstream { opened.leg.writeText(text) }
                opened.leg.flush()
            case .failure:
                retryLater()
            }
        }
    }

    /// Tries again after a short pause, or gives up at the deadline.
    private func retryLater() {
        guard state == .open, let current = rebind else { return }
        if current.reason == .rebalance, upstream != nil, !tracker.isRebinding {
            // A rebalance is an optimisation: if its first try fails, the session stays (the next round
            // looks again).
            rebind = nil
            return
        }
        if NIODeadline.now() >= current.deadline {
            return rebindTimedOut()
        }
        let pause = TimeAmount.milliseconds(Int64.random(in: 100...300))
        eventLoop.assumeIsolated().scheduleTask(in: pause) { [self] in dialNext() }
    }

    private func rebindTimedOut() {
        guard let current = rebind else { return }
        if let candidate {
            // It connected but never answered the resuming `connect`.
            self.candidate = nil
            retire(candidate.leg, code: 1001, reason: "no answer")
            if let upstream, tracker.isRebinding {
                for text in tracker.cancelRebind().toUpstream { upstream.writeText(text) }
                upstream.flush()
            }
        }
        if upstream != nil, !tracker.isRebinding {
            // A migration that found nowhere to go: the session simply stays.
            logger.notice("session migration found no endpoint; staying", metadata: ["endpoint": "\(endpoint)", "reason": "\(current.reason.rawValue)"])
            rebind = nil
            return
        }
        logger.warning("session found no endpoint in time; closing the client", metadata: ["reason": "\(current.reason.rawValue)"])
        closeClient(code: DisconnectCode.tryAgainLater.code, reason: "no endpoint available", because: .rebindTimeout)
    }

    private func dropCandidate() {
        guard let dropped = candidate else { return }
        candidate = nil
        retire(dropped.leg, code: 1001, reason: "session moving")
        if let upstream, tracker.isRebinding {
            // A migration: the old node still serves the session, so what the client sent meanwhile goes
            // there; the next candidate (if any) starts a fresh re-bind.
            for text in tracker.cancelRebind().toUpstream { upstream.writeText(text) }
            upstream.flush()
        }
        retryLater()
    }

    /// The candidate answered the resuming `connect`: it becomes the session's node.
    private func rebindCompleted() {
        guard let leg = candidate?.leg, let target = candidate?.target, let current = rebind else { return }
        let now = NIODeadline.now()
        let seconds = Double((now - current.startedAt).nanoseconds) / 1e9
        metrics.rebind(current.reason)
        metrics.rebindDuration(current.reason).recordNanoseconds((now - current.startedAt).nanoseconds)
        if let old = upstream { retire(old, code: 1000, reason: "session moved") }
        let from = endpoint
        endpointMetrics.sessionsActive.decrement()
        endpoint = target.id
        endpointMetrics = runtime.metrics.endpoint(cluster: cluster.name, endpoint: target.id)
        endpointMetrics.sessionsActive.increment()
        upstream = leg
        candidate = nil
        rebind = nil
        lastUpstreamRead = now
        upstreamPingSentAt = nil
        logger.info(
            "session re-bound",
            metadata: [
                "from": "\(from)", "to": "\(target.id)", "reason": "\(current.reason.rawValue)",
                "ms": "\(Int((seconds * 1000).rounded()))", "attempts": "\(current.attempts)",
                "resume_ms": "\(current.candidateOpenAt.map { (now - $0).nanoseconds / 1_000_000 } ?? 0)",
            ]
        )
        if client.isWritable { leg.resumeReading() }
        client.resumeReading()
        drainTriedAt = nil
        if cluster.adminState(of: target.id) == .drain {
            // The endpoint was drained while this move was on its way there.
            eventLoop.assumeIsolated().execute { [self] in migrate(.drain) }
        }
    }

    private func trackerFailed(_ error: SessionTracker.Failure, leg: SessionLegHandler) {
        switch error {
        case .rebindRefused(let refusal) where leg === candidate?.leg && upstream != nil:
            // A migration the new node refused: call it off; the old node still serves the session.
            logger.info("node refused to take the session over; it stays", metadata: ["endpoint": "\(candidate?.target.id ?? "-")", "error": "\(refusal)"])
            dropCandidate()
        case .rebindRefused(let refusal) where refusal.temporary && leg === upstream:
            // The bound node could not serve the gateway's own catch-up read now: resume elsewhere (or there,
            // later) from what the client has, rather than give the client up.
            logger.info("node could not complete the recovery now", metadata: ["endpoint": "\(endpoint)", "error": "\(refusal)"])
            lostUpstream(.error)
        case .rebindRefused(let refusal) where refusal.temporary && leg === candidate?.leg:
            // The node could not resume it now (its Redis is away, say): try again, elsewhere or later.
            logger.info("node could not resume the session yet", metadata: ["endpoint": "\(candidate?.target.id ?? "-")", "error": "\(refusal)"])
            dropCandidate()
        case .rebindRefused(let refusal):
            logger.notice("node refused to resume the session; the client must", metadata: ["error": "\(refusal)"])
            closeClient(code: error.closeCode.code, reason: "session could not be moved", because: .rebindRefused)
        case .upstreamFrame(let detail):
            upstreamFailed(leg, reason: .error, detail: detail)
        case .backlogFull, .clientFrame:
            clientFailed(error)
        }
    }

    private func clientFailed(_ error: SessionTracker.Failure) {
        switch error {
        case .backlogFull:
            closeClient(code: DisconnectCode.slowConsumer.code, reason: "too many requests in flight or held", because: .backlog)
        default:
            closeClient(code: error.closeCode.code, reason: error.closeCode.reason, because: .protocol)
        }
    }

    private func reportTrackerCounters() {
        if tracker.replayedCount != reportedReplayed {
            metrics.replayed.increment(by: Int64(tracker.replayedCount - reportedReplayed))
            reportedReplayed = tracker.replayedCount
        }
        if tracker.duplicatesDropped != reportedDuplicates {
            metrics.deduplicated.increment(by: Int64(tracker.duplicatesDropped - reportedDuplicates))
            reportedDuplicates = tracker.duplicatesDropped
        }
    }

    // MARK: Timers (driven once a second by the registry's sweep)

    func tick(now: NIODeadline) {
        guard state == .open else { return }
        if let current = rebind, !current.dialing {
            // A candidate that connected but does not answer the resuming `connect`: give it the handshake's
            // time, then try elsewhere; and never past the re-bind's deadline.
            if now >= current.deadline {
                rebindTimedOut()
            } else if candidate != nil, let openAt = current.candidateOpenAt, now - openAt >= dialer.handshakeTimeout {
                logger.info("node did not answer the resuming connect", metadata: ["endpoint": "\(candidate?.target.id ?? "-")"])
                dropCandidate()
            }
            guard state == .open else { return }
        }
        if tracker.isCatchingUp, rebind == nil {
            // The bound node must answer the gateway's catch-up reads like any request.
            let started = catchUpSeenAt ?? now
            catchUpSeenAt = started
            if now - started >= dialer.handshakeTimeout {
                logger.info("node did not answer the catch-up reads", metadata: ["endpoint": "\(endpoint)"])
                catchUpSeenAt = nil
                lostUpstream(.error)
                guard state == .open else { return }
            }
        } else {
            catchUpSeenAt = nil
        }
        if rebind == nil, let tried = drainTriedAt, now - tried >= .seconds(5), cluster.adminState(of: endpoint) ?? .drain == .drain {
            // Still on a drained or removed endpoint (the move found nowhere to go, or the session was not
            // ready yet): again.
            migrate(.drain)
        }
        let idle = TimeAmount(runtime.limits.idleTimeout)
        if idle > .zero, now - lastData >= idle {
            return closeClient(code: 1001, reason: "idle timeout", because: .idle)
        }
        let interval = TimeAmount(keepAlive.interval)
        let timeout = TimeAmount(keepAlive.timeout)
        guard interval > .zero else { return }
        if let sent = clientPingSentAt, now - sent >= timeout {
            endpointMetrics.timeouts.increment()
            logger.info("client stopped answering keep-alive pings")
            retireUpstreams(code: 1001, reason: "client gone")
            closeClientLeg(code: 1001, reason: "keep-alive timeout")
            return finish()
        } else if clientPingSentAt == nil, now - lastClientRead >= interval {
            clientPingSentAt = now
            client.write(WebSocketFrame(fin: true, opcode: .ping, data: Self.keepAlivePayload))
            client.flush()
        }
        if let upstream {
            if let sent = upstreamPingSentAt, now - sent >= timeout {
                endpointMetrics.timeouts.increment()
                logger.info("node stopped answering keep-alive pings", metadata: ["endpoint": "\(endpoint)"])
                lostUpstream(.pingTimeout)
            } else if upstreamPingSentAt == nil, now - lastUpstreamRead >= interval {
                upstreamPingSentAt = now
                upstream.write(WebSocketFrame(fin: true, opcode: .ping, data: Self.keepAlivePayload))
                upstream.flush()
            }
        }
    }

    // MARK: Ending

    /// The gateway's own reasons to end or move the session: a drain moves it, a shutdown closes the client
    /// with a reconnect code (it resumes through another gateway instance).
    func initiateClose(_ cause: TunnelCloseCause) {
        switch cause {
        case .drain:
            migrate(.drain)
        case .shutdown:
            closeClient(code: 1001, reason: cause.reason, because: .shutdown)
        case .idle:
            closeClient(code: 1001, reason: cause.reason, because: .idle)
        case .keepAliveTimeout:
            closeClient(code: 1001, reason: cause.reason, because: nil)
        }
    }

    private func closeClient(code: UInt16, reason: String, because: SessionMetrics.CloseReason?) {
        guard state == .open else { return }
        if let because { metrics.clientClosed(because) }
        logger.info("closing session client", metadata: ["code": "\(code)", "reason": "\(reason)"])
        closeClientLeg(code: code, reason: reason)
        retireUpstreams(code: 1001, reason: "client closed by gateway")
        finish()
    }

    private func closeClientLeg(code: UInt16, reason: String) {
        guard !clientClosing else { return }
        clientClosing = true
        client.close(code: code, reason: reason)
    }

    private func retireUpstreams(code: UInt16, reason: String) {
        if let upstream { retire(upstream, code: code, reason: reason) }
        if let candidate { retire(candidate.leg, code: code, reason: reason) }
        upstream = nil
        candidate = nil
    }

    private func retire(_ leg: SessionLegHandler, code: UInt16, reason: String) {
        leg.detach()
        leg.close(code: code, reason: reason)
    }

    /// Releases everything once. Idempotent.
    func finish() {
        guard state != .finished else { return }
        state = .finished
        retireUpstreams(code: 1001, reason: "session ended")
        client.detach()
        if !clientClosing { client.context?.close(promise: nil) }
        endpointMetrics.sessionsActive.decrement()
        reportTrackerCounters()
        onFinish?(self)
        onFinish = nil
    }
}

@available(*, unavailable)
extension SessionRelay: Sendable {}
