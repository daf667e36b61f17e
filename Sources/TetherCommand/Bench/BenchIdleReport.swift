/// The fields of `tether bench idle`'s ``BenchReport``.
struct BenchIdleReport: BenchReportDetails {
    static let mode = "idle"

    var requested: Int
    var sources: Int
    var openSeconds: Double
    var holdSeconds: Double
    /// Still open at the end of the hold; nil before the hold.
    var openAtEnd: Int?
    /// Closed by the peer during the hold; nil before the hold.
    var disconnected: Int?

    private enum CodingKeys: String, CodingKey {
        case requested, sources, disconnected
        case openSeconds = "open_seconds"
        case holdSeconds = "hold_seconds"
        case openAtEnd = "open_at_end"
    }

    func tableLines(opened: Int, failed: Int) -> [String] {
        let rate = self.openSeconds > 0 ? Double(opened) / self.openSeconds : 0
        return [
            "  requested     \(self.requested) connections from \(self.sources) source address(es)",
            "  opened        \(opened) (\(failed) failed) in \(String(format: "%.2f", self.openSeconds)) s"
                + " (\(BenchConsole.grouped(Int(rate.rounded()))) /s)",
            "  held          \(String(format: "%.2f", self.holdSeconds)) s: \(self.openAtEnd.map(String.init) ?? "-") still open,"
                + " \(self.disconnected.map(String.init) ?? "-") closed by the peer",
        ]
    }
}
