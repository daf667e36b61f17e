import Foundation

/// The fields of `tether bench echo`'s ``BenchReport``.
struct BenchEchoReport: BenchReportDetails {
    static let mode = "echo"

    struct Latency: Encodable {
        var count: UInt64
        var min: UInt64
        var p50: UInt64
        var p90: UInt64
        var p99: UInt64
        var p999: UInt64
        var max: UInt64
        var mean: Double
    }

    var connections: Int
    /// Target aggregate rate; 0 = closed loop.
    var rate: Int
    var inFlight: Int
    var size: Int
    var warmupSeconds: Double
    /// Echoes received during the warm-up (not in any other figure; lets a caller divide CPU time by every
    /// message the run caused: warmup_received + received_total).
    var warmupReceived: Int
    var durationSeconds: Double
    /// Counted up to the end of the measurement.
    var sent: Int
    var received: Int
    /// Echoes received in the measurement including the drain after it.
    var receivedTotal: Int
    var messagesPerSecond: Double
    var errors: Int
    var mismatched: Int
    var skipped: Int
    /// Connections that closed during the measurement.
    var disconnected: Int
    /// Echoes still missing after the drain.
    var unanswered: Int
    /// Round-trip times in microseconds, including replies that arrived during the drain.
    var rttMicroseconds: Latency

    init(
        connections: Int,
        rate: Int,
        inFlight: Int,
        size: Int,
        warmup: Double,
        warmupReceived: Int,
        measured: BenchSnapshot,
        final: BenchSnapshot,
        elapsed: Double
    ) {
        self.connections = connections
        self.rate = rate
        self.inFlight = inFlight
        self.size = size
        self.warmupSeconds = warmup
        self.warmupReceived = warmupReceived
        self.receivedTotal = final.received
        self.durationSeconds = elapsed
        self.sent = measured.sent
        self.received = measured.received
        self.messagesPerSecond = elapsed > 0 ? Double(measured.received) / elapsed : 0
        self.errors = final.errors
        self.mismatched = final.mismatched
        self.skipped = final.skipped
        self.disconnected = final.disconnected
        self.unanswered = max(0, final.sent - final.received)
        let histogram = final.histogram
        self.rttMicroseconds = Latency(
            count: histogram.totalCount,
            min: histogram.totalCount == 0 ? 0 : histogram.min,
            p50: final.rtt(50),
            p90: final.rtt(90),
            p99: final.rtt(99),
            p999: final.rtt(99.9),
            max: histogram.totalCount == 0 ? 0 : histogram.max,
            mean: histogram.totalCount == 0 ? 0 : histogram.mean
        )
    }

    private enum CodingKeys: String, CodingKey {
        case connections, rate, size, sent, received, errors, mismatched, skipped
        case disconnected, unanswered
        case inFlight = "in_flight"
        case warmupSeconds = "warmup_seconds"
        case warmupReceived = "warmup_received"
        case receivedTotal = "received_total"
        case durationSeconds = "duration_seconds"
        case messagesPerSecond = "messages_per_second"
        case rttMicroseconds = "rtt_us"
    }

    func tableLines(opened: Int, failed: Int) -> [String] {
        let load =
            self.rate == 0
            ? "closed loop, \(self.inFlight) in flight per connection"
            : "\(BenchConsole.grouped(self.rate)) msg/s in total (fixed schedule)"
        return [
            "  connections   \(self.connections) (\(opened) opened, \(failed) failed)",
            "  message       \(self.size) bytes, binary",
            "  load          \(load)",
            "  duration      \(String(format: "%.2f", self.durationSeconds)) s after \(String(format: "%.2f", self.warmupSeconds)) s warm-up",
            "  messages      sent \(BenchConsole.grouped(self.sent))  received \(BenchConsole.grouped(self.received))",
            "  throughput    \(BenchConsole.grouped(Int(self.messagesPerSecond.rounded()))) msg/s",
            "  RTT (µs)      p50 \(self.rttMicroseconds.p50)  p90 \(self.rttMicroseconds.p90)  p99 \(self.rttMicroseconds.p99)"
                + "  p99.9 \(self.rttMicroseconds.p999)  max \(self.rttMicroseconds.max)"
                + "  mean \(String(format: "%.1f", self.rttMicroseconds.mean))",
            "  problems      errors \(self.errors)  wrong length \(self.mismatched)  skipped \(self.skipped)"
                + "  disconnected \(self.disconnected)  unanswered \(self.unanswered)",
        ]
    }
}
