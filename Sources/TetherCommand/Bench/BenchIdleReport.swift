/// The result of `tether bench idle`, as JSON (snake_case keys) or a table.
struct BenchIdleReport: Encodable {
    var mode = "idle"
    var url: String
    var requested: Int
    var opened: Int
    var failed: Int
    var failures: [String: Int]
    var sources: Int
    var openSeconds: Double
    var holdSeconds: Double
    /// Still open at the end of the hold; nil before the hold.
    var openAtEnd: Int?
    /// Closed by the peer during the hold; nil before the hold.
    var disconnected: Int?

    init(
        url: String,
        requested: Int,
        opened: Int,
        failed: Int,
        failures: [String: Int],
        sources: Int,
        openSeconds: Double,
        holdSeconds: Double,
        openAtEnd: Int?,
        disconnected: Int?
    ) {
        self.url = url
        self.requested = requested
        self.opened = opened
        self.failed = failed
        self.failures = failures
        self.sources = sources
        self.openSeconds = openSeconds
        self.holdSeconds = holdSeconds
        self.openAtEnd = openAtEnd
        self.disconnected = disconnected
    }

    private enum CodingKeys: String, CodingKey {
        case mode, url, requested, opened, failed, failures, sources, disconnected
        case openSeconds = "open_seconds"
        case holdSeconds = "hold_seconds"
        case openAtEnd = "open_at_end"
    }

    var table: String {
        let rate = self.openSeconds > 0 ? Double(self.opened) / self.openSeconds : 0
        var lines = [
            "tether bench idle  \(self.url)",
            "  requested     \(self.requested) connections from \(self.sources) source address(es)",
            "  opened        \(self.opened) (\(self.failed) failed) in \(String(format: "%.2f", self.openSeconds)) s"
                + " (\(BenchConsole.grouped(Int(rate.rounded()))) /s)",
            "  held          \(String(format: "%.2f", self.holdSeconds)) s: \(self.openAtEnd.map(String.init) ?? "-") still open,"
                + " \(self.disconnected.map(String.init) ?? "-") closed by the peer",
        ]
        for (reason, count) in self.failures.sorted(by: { $0.value > $1.value }).prefix(5) {
            lines.append("  failure       \(count)× \(reason)")
        }
        return lines.joined(separator: "\n")
    }
}
