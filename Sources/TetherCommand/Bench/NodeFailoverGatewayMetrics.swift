import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// The session-mode figures of a gateway, read from its admin listener's `GET /metrics` after a `tether
/// bench failover` run (`--gateway-metrics`). Every figure is nil ("n/a") when the gateway does not export
/// it (a gateway without session mode, or nothing happened that creates the series).
///
/// Re-bind latency percentiles are estimates from the histogram's buckets (linear interpolation within the
/// bucket, like Prometheus's `histogram_quantile`); each comes with the bounds of the bucket it fell in.
struct NodeFailoverGatewayMetrics: Encodable, Sendable, Equatable {
    /// A histogram quantile estimate, in milliseconds, and the bucket bounds it lies between.
    struct Estimate: Encodable, Sendable, Equatable {
        var milliseconds: Double
        var bucketLowerMilliseconds: Double
        /// Nil when the rank fell in the `+Inf` bucket (the estimate is then the highest finite bound).
        var bucketUpperMilliseconds: Double?

        private enum CodingKeys: String, CodingKey {
            case milliseconds = "ms"
            case bucketLowerMilliseconds = "bucket_lower_ms"
            case bucketUpperMilliseconds = "bucket_upper_ms"
        }
    }

    var url: String
    /// Why the scrape failed (then every figure is nil).
    var error: String?
    var rebindsByReason: [String: Double]?
    var migrations: Double?
    var replayedPublications: Double?
    var deduplicatedPublications: Double?
    var clientCloses: Double?
    var rebindCount: Double?
    var rebindP50: Estimate?
    var rebindP99: Estimate?

    private enum CodingKeys: String, CodingKey {
        case url, error, migrations
        case rebindsByReason = "rebinds_by_reason"
        case replayedPublications = "replayed_publications"
        case deduplicatedPublications = "deduplicated_publications"
        case clientCloses = "client_closes"
        case rebindCount = "rebind_count"
        case rebindP50 = "rebind_p50"
        case rebindP99 = "rebind_p99"
    }

    static let rebinds = "tether_gateway_session_rebinds_total"
    static let migrationsName = "tether_gateway_session_migrations_total"
    static let replayed = "tether_gateway_session_replayed_publications_total"
    static let deduplicated = "tether_gateway_session_deduplicated_publications_total"
    static let closes = "tether_gateway_session_client_closes_total"
    static let rebindDuration = "tether_gateway_session_rebind_duration_seconds"

    /// The figures in a scraped exposition.
    init(url: String, text: String) {
        let metrics = PrometheusText(text)
        self.url = url
        self.rebindsByReason = metrics.has(Self.rebinds) ? metrics.total(Self.rebinds, by: "reason") : nil
        self.migrations = metrics.total(Self.migrationsName)
        self.replayedPublications = metrics.total(Self.replayed)
        self.deduplicatedPublications = metrics.total(Self.deduplicated)
        self.clientCloses = metrics.total(Self.closes)
        self.rebindCount = metrics.total(Self.rebindDuration + "_count")
        func estimate(_ q: Double) -> Estimate? {
            metrics.quantile(q, of: Self.rebindDuration).map {
                Estimate(milliseconds: $0.value * 1000, bucketLowerMilliseconds: $0.lower * 1000,
                         bucketUpperMilliseconds: $0.upper.isFinite ? $0.upper * 1000 : nil)
            }
        }
        self.rebindP50 = estimate(0.5)
        self.rebindP99 = estimate(0.99)
    }

    /// A scrape that failed.
    init(url: String, error: String) {
        self.url = url
        self.error = error
    }

    /// Scrapes `url` (`http://` on a loopback address) within `timeout`; a failure is recorded, not thrown.
    static func scrape(_ url: String, timeout: Duration = .seconds(5)) async -> NodeFailoverGatewayMetrics {
        do {
            let target = try Self.target(url)
            return NodeFailoverGatewayMetrics(url: url, text: try await Self.get(target, timeout: timeout))
        } catch {
            return NodeFailoverGatewayMetrics(url: url, error: String(describing: error).prefix(160).description)
        }
    }

    /// The parsed URL: `http://` on a loopback address.
    static func target(_ url: String) throws -> BenchTarget {
        guard url.hasPrefix("http://") else { throw BenchError("--gateway-metrics must start with http://") }
        return try BenchTarget(url: "ws://" + url.dropFirst("http://".count))
    }

    /// `GET` over one HTTP/1.1 connection; the body of a `200`.
    private static func get(_ target: BenchTarget, timeout: Duration) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(2))
            .connect(host: target.host, port: target.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        let underlying = channel.channel
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            underlying.close(promise: nil)
        }
        defer { watchdog.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: "\(target.host):\(target.port)")
            headers.add(name: "Connection", value: "close")
            try await outbound.write(contentsOf: [.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: target.path, headers: headers)), .end(nil)])
            var status: HTTPResponseStatus?
            var body = ""
            reading: for try await part in inbound {
                switch part {
                case .head(let head): status = head.status
                case .body(let chunk): body += String(buffer: chunk)
                case .end: break reading
                }
            }
            guard let status else { throw BenchError("no answer from \(target.host):\(target.port) within \(timeout)") }
            guard status == .ok else { throw BenchError("GET \(target.path) answered \(status.code)") }
            return body
        }
    }

    /// One line per figure for the table.
    var lines: [String] {
        func n(_ value: Double?) -> String { value.map { $0 == $0.rounded() ? String(Int($0)) : String(format: "%.2f", $0) } ?? "n/a" }
        func e(_ estimate: Estimate?) -> String {
            guard let estimate else { return "n/a" }
            let lower = String(format: "%g", estimate.bucketLowerMilliseconds)
            guard let upper = estimate.bucketUpperMilliseconds else { return "> \(lower) ms (+Inf bucket)" }
            return String(format: "≈%.1f ms", estimate.milliseconds) + " (bucket \(lower)–\(String(format: "%g", upper)) ms)"
        }
        if let error { return ["  gateway       \(self.url): scrape failed (\(error))"] }
        let reasons = self.rebindsByReason.map { map in
            map.isEmpty ? "0" : map.sorted { $0.key < $1.key }.map { "\($0.key) \(n($0.value))" }.joined(separator: ", ")
        } ?? "n/a"
        return [
            "  gateway       \(self.url)",
            "  re-binds      \(reasons); migrations \(n(self.migrations)); client closes \(n(self.clientCloses))",
            "  replayed      \(n(self.replayedPublications)) publications; de-duplicated \(n(self.deduplicatedPublications))",
            "  re-bind time  p50 \(e(self.rebindP50)) / p99 \(e(self.rebindP99)) over \(n(self.rebindCount)) re-binds"
                + " (estimates from histogram buckets)",
        ]
    }
}
