import Foundation

/// The result of `tether bench failover`, as one flat JSON object (snake_case keys, `mode` "failover") or a
/// table in the shape of the other benches' ``BenchReport`` (which cannot hold it: its connection counts
/// come from NIO channels, and these clients are `TetherClient`s).
struct NodeFailoverReport: Encodable, Sendable {
    var mode = "failover"
    var urls: [String]
    var apiURL: String
    /// Clients whose connect and subscribe succeeded, and the reasons of those that failed.
    var opened: Int
    var failed: Int
    var failures: [String: Int]
    var clients: Int
    var channels: Int
    var rate: Int
    var durationSeconds: Double
    var connectSeconds: Double
    var killPID: Int32?
    var killAfterSeconds: Double?
    /// Whether the SIGKILL was sent (and the error when it could not be).
    var killed: Bool
    var killError: String?
    var published: Int
    var publishAcked: Int
    /// Acknowledged after at least one failed attempt; failed attempts; refused for good; never acknowledged.
    var publishRetried: Int
    var publishFailedAttempts: Int
    var publishRefused: Int
    var publishUnacknowledged: Int
    /// Acknowledgements flagged `duplicate` (a retry whose first attempt had been made).
    var publishDuplicateAcks: Int
    var publishLate: Int
    var publishFailures: [String: Int]
    var deliveries: Int
    var lost: Int
    var lostPublications: Int
    var clientsWithLoss: Int
    var duplicated: Int
    var outOfOrder: Int
    var gaps: Int
    var gapOffsets: UInt64
    var foreign: Int
    var subscriptionsEnded: Int
    var caughtUp: Int
    var drainSeconds: Double
    var moved: Int
    var reconnected: Int
    var sessionsResumed: Int
    var notResumed: Int
    var timeToResumeMilliseconds: NodeFailoverTimes
    var timeToReconnectMilliseconds: NodeFailoverTimes
    var timeToDetectMilliseconds: NodeFailoverTimes
    var nodesAtKill: [String: Int]
    var nodesAtEnd: [String: Int]
    var closeCodes: [String: Int]
    /// Connection losses over all clients (closes and errors seen by the SDK after the initial connect),
    /// and clients with at least one.
    var closes = 0
    var clientsWithClose = 0
    /// Per client, the longest interval between two consecutive deliveries: p50, p99 and max over clients.
    var longestDeliveryGapMilliseconds = NodeFailoverTimes([])
    /// The `--at` commands and how each went.
    var events: [NodeFailoverEvent.Outcome] = []
    /// The gateway's session-mode figures (`--gateway-metrics`).
    var gatewayMetrics: NodeFailoverGatewayMetrics?
    /// The `--expect` conditions, and why those that failed did.
    var expectations: [String] = []
    var expectationFailures: [String] = []

    private enum CodingKeys: String, CodingKey {
        case mode, urls, opened, failed, failures, clients, channels, rate, killed, published, deliveries, lost
        case duplicated, gaps, foreign, moved, reconnected
        case apiURL = "api_url"
        case durationSeconds = "duration_seconds"
        case connectSeconds = "connect_seconds"
        case killPID = "kill_pid"
        case killAfterSeconds = "kill_after_seconds"
        case killError = "kill_error"
        case publishAcked = "publish_acked"
        case publishRetried = "publish_retried"
        case publishFailedAttempts = "publish_failed_attempts"
        case publishRefused = "publish_refused"
        case publishUnacknowledged = "publish_unacknowledged"
        case publishDuplicateAcks = "publish_duplicate_acks"
        case publishLate = "publish_late"
        case publishFailures = "publish_failures"
        case lostPublications = "lost_publications"
        case clientsWithLoss = "clients_with_loss"
        case outOfOrder = "out_of_order"
        case gapOffsets = "gap_offsets"
        case subscriptionsEnded = "subscriptions_ended"
        case caughtUp = "caught_up"
        case drainSeconds = "drain_seconds"
        case sessionsResumed = "sessions_resumed"
        case notResumed = "not_resumed"
        case timeToResumeMilliseconds = "time_to_resume_ms"
        case timeToReconnectMilliseconds = "time_to_reconnect_ms"
        case timeToDetectMilliseconds = "time_to_detect_ms"
        case nodesAtKill = "nodes_at_kill"
        case nodesAtEnd = "nodes_at_end"
        case closeCodes = "close_codes"
        case closes, events, expectations
        case clientsWithClose = "clients_with_close"
        case longestDeliveryGapMilliseconds = "longest_delivery_gap_ms"
        case gatewayMetrics = "gateway_metrics"
        case expectationFailures = "expectation_failures"
    }

    var table: String {
        func f(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
        func counts(_ map: [String: Int]) -> String {
            map.isEmpty ? "-" : map.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        var lines = [
            "tether bench failover  \(self.urls.joined(separator: " → "))  (publishing via \(self.apiURL))",
            "  clients       \(self.clients) on \(self.channels) channel(s) (\(self.opened) subscribed, \(self.failed) failed)"
                + " in \(f(self.connectSeconds)) s",
            "  load          \(BenchConsole.grouped(self.rate)) publications/s for \(f(self.durationSeconds)) s;"
                + " drain \(f(self.drainSeconds)) s (\(self.caughtUp) of \(self.opened) clients caught up)",
            "  kill -9       "
                + (self.killPID.map { pid in
                    "pid \(pid) after \(f(self.killAfterSeconds ?? 0)) s: "
                        + (self.killed ? "sent" : "not sent (\(self.killError ?? "?"))")
                } ?? "none"),
            "  publications  \(self.published) sent, \(self.publishAcked) acknowledged (\(self.publishRetried) after retries,"
                + " \(self.publishDuplicateAcks) as duplicates of an earlier attempt); \(self.publishFailedAttempts) failed attempts,"
                + " \(self.publishRefused) refused, \(self.publishUnacknowledged) unacknowledged, \(self.publishLate) late",
            "  deliveries    \(BenchConsole.grouped(self.deliveries))",
            "  outcome       lost \(self.lost) (\(self.lostPublications) publications, \(self.clientsWithLoss) clients)"
                + "  duplicated \(self.duplicated)  out of order \(self.outOfOrder)  gaps \(self.gaps) (\(self.gapOffsets) offsets)"
                + "  subscriptions ended \(self.subscriptionsEnded)",
            "  nodes         at the kill: \(counts(self.nodesAtKill)); at the end: \(counts(self.nodesAtEnd))",
            "  moved         \(self.moved) clients lost their connection; \(self.reconnected) reconnected after every loss"
                + " (\(self.sessionsResumed) resumed their session each time), \(self.notResumed) received nothing after a loss",
            "  resume        \(self.timeToResumeMilliseconds.line)  (own connection loss → first publication after it; longest per client)",
            "  reconnect     \(self.timeToReconnectMilliseconds.line)  (own connection loss → connect accepted; longest per client)",
            "  detect        \(self.timeToDetectMilliseconds.line)  (kill → connection loss seen)",
            "  closes        \(self.closes) on \(self.clientsWithClose) clients; codes: \(counts(self.closeCodes))",
            "  delivery gap  \(self.longestDeliveryGapMilliseconds.line)  (longest interval between two deliveries, per client)",
        ]
        for event in self.events {
            let result = event.status.map { $0 == 0 ? "ok" : "exit \($0)" } ?? "not started (\(event.error ?? "?"))"
            lines.append("  event         at \(f(event.offsetSeconds, 1)) s: \(result) in \(f(event.durationSeconds)) s (started \(f(event.startedSeconds)) s): \(event.command.prefix(100))")
        }
        if let metrics = self.gatewayMetrics { lines += metrics.lines }
        if !self.expectations.isEmpty {
            lines.append("  expect        \(self.expectations.joined(separator: ", ")): "
                + (self.expectationFailures.isEmpty ? "met" : "FAILED: " + self.expectationFailures.joined(separator: "; ")))
        }
        for (reason, count) in self.publishFailures.sorted(by: { $0.value > $1.value }).prefix(5) {
            lines.append("  publish fail  \(count)× \(reason)")
        }
        for (reason, count) in self.failures.sorted(by: { $0.value > $1.value }).prefix(5) {
            lines.append("  failure       \(count)× \(reason)")
        }
        return lines.joined(separator: "\n")
    }
}
