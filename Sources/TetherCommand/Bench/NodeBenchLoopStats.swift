import Histogram

/// Counters and histograms of the node-bench connections on one event loop. Event-loop confined: only the
/// handlers of that loop touch it; commands read it through ``NodeBenchLoops``.
@dynamicMemberLookup
final class NodeBenchLoopStats {
    private(set) var snapshot = NodeBenchSnapshot()

    @inline(__always)
    subscript<Value>(dynamicMember keyPath: WritableKeyPath<NodeBenchSnapshot, Value>) -> Value {
        get { self.snapshot[keyPath: keyPath] }
        set { self.snapshot[keyPath: keyPath] = newValue }
    }

    func recordLatency(nanoseconds: UInt64) {
        _ = self.snapshot.latency.record(max(1, min(nanoseconds / 1000, 60_000_000)))
    }

    func recordConnect(nanoseconds: UInt64) {
        _ = self.snapshot.connect.record(max(1, min(nanoseconds / 1000, 60_000_000)))
    }

    /// Notes that `channel` acknowledged a publication at `offset`.
    func recordAck(channel: String, offset: Int64) {
        self.snapshot.lastAcked[channel] = max(offset, self.snapshot.lastAcked[channel] ?? 0)
    }

    /// Clears the traffic figures (end of warm-up). Kept: open connections, connect times, acknowledged
    /// offsets, and counters of subscribers caught up.
    func reset() {
        self.snapshot.latency.reset()
        var fresh = NodeBenchSnapshot(latency: self.snapshot.latency, connect: self.snapshot.connect)
        fresh.open = self.snapshot.open
        fresh.lastAcked = self.snapshot.lastAcked
        self.snapshot = fresh
    }
}

@available(*, unavailable)
extension NodeBenchLoopStats: Sendable {}

/// A copy of the statistics of one or all loops.
struct NodeBenchSnapshot: Sendable {
    /// Publish-to-receipt latency of every delivery, microseconds (1 µs … 60 s, 3 significant digits).
    var latency = NodeBenchSnapshot.makeHistogram()
    /// TCP connect to `connect` reply (subscription included), microseconds.
    var connect = NodeBenchSnapshot.makeHistogram()
    /// Publications received by subscribers.
    var deliveries = 0
    /// Deliveries that arrived after a later offset (filled a hole).
    var outOfOrder = 0
    var duplicates = 0
    /// Offsets skipped over when they happened (some may arrive later, out of order).
    var gaps: Int64 = 0
    /// Final losses, counted by ``NodeBenchControl/finish(lastOffsets:)``.
    var lost: Int64 = 0
    /// Deliveries without the bench's timestamp.
    var untimed = 0
    var published = 0
    var acked = 0
    var publishFailed = 0
    var skipped = 0
    /// Highest acknowledged offset per channel.
    var lastAcked: [String: Int64] = [:]
    /// Subscribers that reached their target of ``NodeBenchControl/expect(lastOffsets:)``.
    var caughtUp = 0
    /// Subscribers done with ``NodeBenchControl/finish(lastOffsets:)``.
    var finished = 0
    /// Protocol errors, unexpected messages, I/O errors.
    var errors = 0
    /// `disconnect` pushes received.
    var disconnectPushes = 0
    /// Close codes of `disconnect` pushes and close frames, and how often each came.
    var closeCodes: [Int64: Int] = [:]
    /// Connections open (connect reply received, not closed yet).
    var open = 0
    /// Connections that closed while the bench held them.
    var disconnected = 0

    static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    }

    mutating func add(_ other: NodeBenchSnapshot) {
        self.latency.add(other.latency)
        self.connect.add(other.connect)
        self.deliveries += other.deliveries
        self.outOfOrder += other.outOfOrder
        self.duplicates += other.duplicates
        self.gaps += other.gaps
        self.lost += other.lost
        self.untimed += other.untimed
        self.published += other.published
        self.acked += other.acked
        self.publishFailed += other.publishFailed
        self.skipped += other.skipped
        self.lastAcked.merge(other.lastAcked, uniquingKeysWith: max)
        self.caughtUp += other.caughtUp
        self.finished += other.finished
        self.errors += other.errors
        self.disconnectPushes += other.disconnectPushes
        self.closeCodes.merge(other.closeCodes, uniquingKeysWith: +)
        self.open += other.open
        self.disconnected += other.disconnected
    }
}
