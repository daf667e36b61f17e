/// The fields of `tether bench node-idle`'s ``BenchReport``.
struct NodeIdleReport: BenchReportDetails {
    static let mode = "node-idle"

    var requested: Int
    var channels: Int
    var sources: Int
    var openSeconds: Double
    var connectMicroseconds: NodeLatencySummary
    /// The node's VmRSS before opening and after opening plus --settle, KiB (with --pid).
    var rssBeforeKiB: Int?
    var rssAfterKiB: Int?
    /// (after − before) ÷ connections open at the second reading.
    var kibPerConnection: Double?
    var holdSeconds: Double
    var openAtEnd: Int
    var disconnected: Int

    private enum CodingKeys: String, CodingKey {
        case requested, channels, sources, disconnected
        case openSeconds = "open_seconds"
        case connectMicroseconds = "connect_us"
        case rssBeforeKiB = "rss_before_kib"
        case rssAfterKiB = "rss_after_kib"
        case kibPerConnection = "kib_per_connection"
        case holdSeconds = "hold_seconds"
        case openAtEnd = "open_at_end"
    }

    func tableLines(opened: Int, failed: Int) -> [String] {
        let rate = self.openSeconds > 0 ? Double(opened) / self.openSeconds : 0
        var lines = [
            "  requested     \(self.requested) connections, each subscribed to one of \(self.channels) channel(s),"
                + " from \(self.sources) source address(es)",
            "  opened        \(opened) (\(failed) failed) in \(String(format: "%.2f", self.openSeconds)) s"
                + " (\(BenchConsole.grouped(Int(rate.rounded()))) /s); connect µs \(self.connectMicroseconds.line)",
        ]
        if let before = self.rssBeforeKiB, let after = self.rssAfterKiB {
            lines.append(
                "  node RSS      \(BenchConsole.grouped(before)) KiB → \(BenchConsole.grouped(after)) KiB:"
                    + " \(self.kibPerConnection.map { String(format: "%.2f", $0) } ?? "-") KiB per connection"
            )
        }
        lines.append(
            "  held          \(String(format: "%.2f", self.holdSeconds)) s: \(self.openAtEnd) still open,"
                + " \(self.disconnected) closed by the node"
        )
        return lines
    }
}
