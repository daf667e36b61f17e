import Histogram

/// Percentiles of a microsecond histogram, as reported by the node benchmarks (all 0 when empty).
struct NodeLatencySummary: Encodable, Sendable {
    var count: UInt64
    var min: UInt64
    var p50: UInt64
    var p90: UInt64
    var p99: UInt64
    var p999: UInt64
    var max: UInt64
    var mean: Double

    init(_ histogram: Histogram<UInt64>) {
        let empty = histogram.totalCount == 0
        self.count = histogram.totalCount
        self.min = empty ? 0 : histogram.min
        self.p50 = empty ? 0 : histogram.valueAtPercentile(50)
        self.p90 = empty ? 0 : histogram.valueAtPercentile(90)
        self.p99 = empty ? 0 : histogram.valueAtPercentile(99)
        self.p999 = empty ? 0 : histogram.valueAtPercentile(99.9)
        self.max = empty ? 0 : histogram.max
        self.mean = empty ? 0 : histogram.mean
    }

    /// `p50 … p90 … p99 … p99.9 … max …`.
    var line: String {
        "p50 \(self.p50)  p90 \(self.p90)  p99 \(self.p99)  p99.9 \(self.p999)  max \(self.max)"
    }
}
