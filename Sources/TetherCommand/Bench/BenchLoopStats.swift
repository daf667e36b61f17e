import Histogram
import NIOCore

/// Counters and the RTT histogram of the connections on one event loop. Event-loop confined: only the
/// handlers of that loop touch it, and the command reads it through ``BenchLoops``.
///
/// The figures are those of ``BenchSnapshot`` (read and written as `stats.sent`, `stats.errors`, …).
@dynamicMemberLookup
final class BenchLoopStats {
    /// A copy of the current figures.
    private(set) var snapshot = BenchSnapshot()

    static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    }

    @inline(__always)
    subscript<Value>(dynamicMember keyPath: WritableKeyPath<BenchSnapshot, Value>) -> Value {
        get { self.snapshot[keyPath: keyPath] }
        set { self.snapshot[keyPath: keyPath] = newValue }
    }

    func record(roundTripNanoseconds: UInt64) {
        _ = self.snapshot.histogram.record(max(1, min(roundTripNanoseconds / 1000, 60_000_000)))
    }

    /// Clears everything but the number of open connections (end of warm-up).
    func reset() {
        self.snapshot.histogram.reset()
        self.snapshot = BenchSnapshot(histogram: self.snapshot.histogram, open: self.snapshot.open)
    }
}

/// A copy of the statistics of one or all loops.
struct BenchSnapshot: Sendable {
    /// Round-trip times in microseconds, 1 µs to 60 s at three significant digits.
    var histogram = BenchLoopStats.makeHistogram()
    var sent = 0
    var received = 0
    /// Echoes whose length differs from what was sent.
    var mismatched = 0
    /// Protocol errors, unexpected messages, I/O errors.
    var errors = 0
    /// Messages a rate-limited connection did not send because too many were outstanding.
    var skipped = 0
    /// Connections currently open (handshake done, not yet closed).
    var open = 0
    /// Connections that closed while the benchmark still held them.
    var disconnected = 0

    mutating func add(_ other: BenchSnapshot) {
        self.histogram.add(other.histogram)
        self.sent += other.sent
        self.received += other.received
        self.mismatched += other.mismatched
        self.errors += other.errors
        self.skipped += other.skipped
        self.open += other.open
        self.disconnected += other.disconnected
    }

    /// RTT percentile in microseconds (`percentile` in 0...100), 0 when nothing was recorded.
    func rtt(_ percentile: Double) -> UInt64 {
        self.histogram.totalCount == 0 ? 0 : self.histogram.valueAtPercentile(percentile)
    }
}

@available(*, unavailable)
extension BenchLoopStats: Sendable {}
