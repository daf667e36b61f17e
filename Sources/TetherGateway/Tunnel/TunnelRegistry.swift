import NIOCore
import TetherGatewayCore

/// Finds the live tunnels and sessions (session mode) of a gateway: one table per event loop, read and
/// written only on that loop, so registering takes no lock. A once-a-second sweep on each loop drives
/// keep-alive pings, idle timeouts and metric reports.
final class TunnelRegistry: Sendable {
    private let loops: [(loop: EventLoop, box: NIOLoopBoundBox<LoopTunnels?>)]

    init(group: EventLoopGroup) {
        loops = group.makeIterator().map { loop in
            (loop, NIOLoopBoundBox<LoopTunnels?>.makeEmptyBox(valueType: LoopTunnels.self, eventLoop: loop))
        }
    }

    private func local(_ loop: EventLoop) -> LoopTunnels {
        guard let box = loops.first(where: { $0.loop === loop })?.box else {
            preconditionFailure("tunnel on an event loop outside the gateway's group")
        }
        if let table = box.value { return table }
        let table = LoopTunnels(loop: loop)
        box.value = table
        return table
    }

    /// Adds a tunnel; call on its event loop. The tunnel removes itself when it finishes.
    func register(_ tunnel: Tunnel) {
        let table = local(tunnel.eventLoop)
        table.tunnels[tunnel.id] = tunnel
        let previous = tunnel.onFinish
        tunnel.onFinish = { finished in
            table.tunnels[finished.id] = nil
            previous?(finished)
        }
    }

    /// Number of live tunnels, optionally only those of one endpoint.
    func count(cluster: String? = nil, endpoint: String? = nil) async -> Int {
        var total = 0
        for (loop, box) in loops {
            total += (try? await loop.submit {
                box.value?.tunnels.values.filter { Self.matches($0, cluster: cluster, endpoint: endpoint) }.count ?? 0
            }.get()) ?? 0
        }
        return total
    }

    /// Closes the matching tunnels (all when `cluster` is nil) with `cause`, spread evenly over `window`.
    /// `stillWanted` is checked at each close's time, so a drain that is called off stops closing. Returns how
    /// many tunnels were scheduled.
    @discardableResult
    func closeSpread(
        cluster: String?,
        endpoint: String?,
        cause: TunnelCloseCause,
        window: Duration,
        stillWanted: @escaping @Sendable () -> Bool = { true },
        onClose: @escaping @Sendable (_ cluster: String, _ endpoint: String) -> Void = { _, _ in }
    ) async -> Int {
        var counts: [Int] = []
        for (loop, box) in loops {
            counts.append((try? await loop.submit {
                box.value?.tunnels.values.filter { Self.matches($0, cluster: cluster, endpoint: endpoint) }.count ?? 0
            }.get()) ?? 0)
        }
        let total = counts.reduce(0, +)
        var offsets = DrainSchedule.offsets(count: total, window: window)
        offsets.shuffle()
        var start = 0
        for (index, (loop, box)) in loops.enumerated() {
            let chunk = Array(offsets[start..<(start + counts[index])])
            start += counts[index]
            loop.execute {
                let matching = (box.value.map { Array($0.tunnels.values) } ?? [])
                    .filter { Self.matches($0, cluster: cluster, endpoint: endpoint) }
                    .sorted { $0.id.value < $1.id.value }
                for (position, tunnel) in matching.enumerated() {
                    let offset = position < chunk.count ? chunk[position] : window
                    loop.assumeIsolated().scheduleTask(in: TimeAmount(offset)) {
                        guard !tunnel.isFinished, stillWanted() else { return }
                        onClose(tunnel.cluster, tunnel.endpoint)
                        tunnel.initiateClose(cause)
                    }
                }
            }
        }
        return total
    }

    private static func matches(_ tunnel: Tunnel, cluster: String?, endpoint: String?) -> Bool {
        (cluster == nil || tunnel.cluster == cluster) && (endpoint == nil || tunnel.endpoint == endpoint)
    }

    // MARK: Sessions

    /// Adds a session; call on its event loop. The session removes itself when it finishes.
    func register(_ session: SessionRelay) {
        let table = local(session.eventLoop)
        table.sessions[session.id] = session
        let previous = session.onFinish
        session.onFinish = { finished in
            table.sessions[finished.id] = nil
            previous?(finished)
        }
    }

    /// Live sessions of `cluster` (all clusters when nil), by the endpoint they are bound to.
    func sessionCounts(cluster: String?) async -> [String: Int] {
        await sessionCensus(cluster: cluster).bound
    }

    /// Live sessions of `cluster` (all when nil): how many are bound to each endpoint, and how many of them
    /// are moving (a re-bind or migration under way).
    func sessionCensus(cluster: String?) async -> (bound: [String: Int], moving: Int) {
        var counts: [String: Int] = [:]
        var moving = 0
        for (loop, box) in loops {
            let local = (try? await loop.submit { () -> ([String: Int], Int) in
                var counts: [String: Int] = [:]
                var moving = 0
                for session in box.value.map({ Array($0.sessions.values) }) ?? [] where cluster == nil || session.cluster.name == cluster {
                    counts[session.endpoint, default: 0] += 1
                    if session.isMoving { moving += 1 }
                }
                return (counts, moving)
            }.get()) ?? ([:], 0)
            counts.merge(local.0, uniquingKeysWith: +)
            moving += local.1
        }
        return (counts, moving)
    }

    /// Moves up to `limit` sessions bound to `endpoint` of `cluster` elsewhere (only to `towards`, when
    /// given), `rate` per second across the gateway starting `after` from now (`stillWanted` is checked at
    /// each move, so a drain that is called off stops). Returns how many were scheduled.
    @discardableResult
    func migrateSessions(
        cluster: String,
        endpoint: String,
        limit: Int? = nil,
        rate: Double,
        after: Duration = .zero,
        reason: SessionMetrics.RebindReason,
        towards: Set<String>? = nil,
        stillWanted: @escaping @Sendable () -> Bool = { true }
    ) async -> Int {
        let counts = await sessionCounts(cluster: cluster)
        let total = min(counts[endpoint] ?? 0, limit ?? .max)
        let interval = 1.0 / max(rate, 0.001)
        let offsets = (0..<total).map { after + .milliseconds(Int64((Double($0) * interval * 1000).rounded())) }
        return await spread(offsets, sessionsOf: cluster, endpoint: endpoint) { session in
            guard stillWanted() else { return }
            session.migrate(reason, towards: towards)
        }
    }

    /// Closes every session (of `cluster`, or all) with `cause`, spread evenly over `window`.
    @discardableResult
    func closeSessions(cluster: String?, cause: TunnelCloseCause, window: Duration) async -> Int {
        let total = (await sessionCounts(cluster: cluster)).values.reduce(0, +)
        return await spread(DrainSchedule.offsets(count: total, window: window).shuffled(), sessionsOf: cluster, endpoint: nil) { session in
            session.initiateClose(cause)
        }
    }

    /// Runs `action` on matching sessions at `offsets` (one each, as many as there are offsets), dealing the
    /// offsets out across loops in turn.
    private func spread(
        _ offsets: [Duration],
        sessionsOf cluster: String?,
        endpoint: String?,
        action: @escaping @Sendable (SessionRelay) -> Void
    ) async -> Int {
        guard !offsets.isEmpty else { return 0 }
        var remaining = offsets[...]
        var scheduled = 0
        for (loop, box) in loops where !remaining.isEmpty {
            let chunk = Array(remaining)
            let taken = (try? await loop.submit { () -> Int in
                let matching = (box.value.map { Array($0.sessions.values) } ?? [])
                    .filter { (cluster == nil || $0.cluster.name == cluster) && (endpoint == nil || $0.endpoint == endpoint) }
                    .sorted { $0.id.value < $1.id.value }
                for (session, offset) in zip(matching, chunk) {
                    loop.assumeIsolated().scheduleTask(in: TimeAmount(offset)) {
                        guard !session.isFinished else { return }
                        action(session)
                    }
                }
                return min(matching.count, chunk.count)
            }.get()) ?? 0
            remaining = remaining.dropFirst(taken)
            scheduled += taken
        }
        return scheduled
    }

    /// Starts the per-loop sweeps.
    func startSweeping(every interval: TimeAmount = .seconds(1)) {
        for (loop, _) in loops {
            loop.execute { [self] in
                let table = local(loop)
                let bound = NIOLoopBound(table, eventLoop: loop)
                table.sweep = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
                    let now = NIODeadline.now()
                    for tunnel in Array(bound.value.tunnels.values) {
                        tunnel.tick(now: now)
                    }
                    for session in Array(bound.value.sessions.values) {
                        session.tick(now: now)
                    }
                }
            }
        }
    }

    func stopSweeping() {
        for (loop, box) in loops {
            loop.execute {
                box.value?.sweep?.cancel()
                box.value?.sweep = nil
            }
        }
    }
}

/// One event loop's tunnels and sessions.
final class LoopTunnels {
    let loop: EventLoop
    var tunnels: [ConnectionID: Tunnel] = [:]
    var sessions: [ConnectionID: SessionRelay] = [:]
    var sweep: RepeatedTask?

    init(loop: EventLoop) {
        self.loop = loop
    }
}

@available(*, unavailable)
extension LoopTunnels: Sendable {}
