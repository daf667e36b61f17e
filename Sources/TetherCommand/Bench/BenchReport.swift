/// What a `tether bench` mode adds to ``BenchReport``: its own fields (encoded next to the common ones,
/// so their coding keys must not be `mode`, `url`, `opened`, `failed` or `failures`) and table lines.
protocol BenchReportDetails: Encodable {
    /// The `mode` field and the word after `tether bench` in the table's title.
    static var mode: String { get }

    /// The table lines between the title and the failure lines; `opened` and `failed` are the report's.
    func tableLines(opened: Int, failed: Int) -> [String]
}

/// The result of a `tether bench` mode, as JSON (one flat object, snake_case keys: `mode`, `url`,
/// `opened`, `failed`, `failures` and the fields of `Details`) or a table (title, the mode's lines, then
/// the five most frequent failure reasons).
struct BenchReport<Details: BenchReportDetails>: Encodable {
    var url: String
    /// Connections whose upgrade succeeded.
    var opened: Int
    var failed: Int
    /// Failure reasons and how often each occurred.
    var failures: [String: Int]
    var details: Details

    /// A report on the connections `opening` opened to `url`.
    init(url: String, opening: BenchConnector.Result, details: Details) {
        self.url = url
        self.opened = opening.channels.count
        self.failed = opening.failed
        self.failures = opening.failures
        self.details = details
    }

    private enum CodingKeys: String, CodingKey {
        case mode, url, opened, failed, failures
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Details.mode, forKey: .mode)
        try container.encode(self.url, forKey: .url)
        try container.encode(self.opened, forKey: .opened)
        try container.encode(self.failed, forKey: .failed)
        try container.encode(self.failures, forKey: .failures)
        // Same encoder: the details' keys land in the same JSON object.
        try self.details.encode(to: encoder)
    }

    var table: String {
        var lines = ["tether bench \(Details.mode)  \(self.url)"]
        lines += self.details.tableLines(opened: self.opened, failed: self.failed)
        for (reason, count) in self.failures.sorted(by: { $0.value > $1.value }).prefix(5) {
            lines.append("  failure       \(count)× \(reason)")
        }
        return lines.joined(separator: "\n")
    }
}
