import Foundation

/// Percentiles of a handful of durations (one per moved client), in milliseconds to a tenth: nearest-rank
/// p50 and p99, and the maximum. All 0 when there are none.
struct NodeFailoverTimes: Encodable, Sendable, Equatable {
    var count: Int
    var p50: Double
    var p99: Double
    var max: Double

    init(_ durations: [Duration]) {
        let sorted = durations.map(Self.milliseconds).sorted()
        self.count = sorted.count
        self.p50 = Self.percentile(50, of: sorted)
        self.p99 = Self.percentile(99, of: sorted)
        self.max = sorted.last ?? 0
    }

    /// `p50 … / p99 … / max … ms (n)`.
    var line: String {
        self.count == 0
            ? "-"
            : "p50 \(Self.text(self.p50)) / p99 \(Self.text(self.p99)) / max \(Self.text(self.max)) ms (\(self.count) clients)"
    }

    /// The nearest-rank percentile: the smallest value with at least `percent`% of the values at or below it.
    static func percentile(_ percent: Double, of sorted: [Double]) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((percent / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return (ms * 10).rounded() / 10
    }

    private static func text(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}
