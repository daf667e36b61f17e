import CoreMetrics
import NIOConcurrencyHelpers
import TetherGatewayCore

/// Session mode's handles for one cluster (names in ``GatewayMetricNames``). Thread-safe.
final class SessionMetrics: Sendable {
    /// Why a session moved to another endpoint.
    enum RebindReason: String, Sendable, CaseIterable {
        /// The node's connection closed.
        case closed
        /// The node's connection failed (reset, protocol error).
        case error
        /// The node stopped answering keep-alive pings.
        case pingTimeout = "ping_timeout"
        /// The node sent a `disconnect` with a reconnect code.
        case nodeDisconnect = "node_disconnect"
        /// The endpoint is being drained (or was removed).
        case drain
        /// A rebalance moved it.
        case rebalance

        var isMigration: Bool { self == .drain || self == .rebalance }
    }

    /// Why the gateway closed a session's client.
    enum CloseReason: String, Sendable, CaseIterable {
        case rebindTimeout = "rebind_timeout"
        case rebindRefused = "rebind_refused"
        case backlog
        case `protocol`
        case shutdown
        case idle
    }

    private let rebinds: [RebindReason: Counter]
    private let closes: [CloseReason: Counter]
    private let rebindDurations: [RebindReason: Timer]
    let migrations: Counter
    let replayed: Counter
    let deduplicated: Counter

    init(cluster: String, factory: MetricsFactory) {
        let labels = [("cluster", cluster)]
        rebinds = Dictionary(uniqueKeysWithValues: RebindReason.allCases.map { reason in
            (reason, Counter(label: GatewayMetricNames.sessionRebindsTotal, dimensions: labels + [("reason", reason.rawValue)], factory: factory))
        })
        closes = Dictionary(uniqueKeysWithValues: CloseReason.allCases.map { reason in
            (reason, Counter(label: GatewayMetricNames.sessionClientClosesTotal, dimensions: labels + [("reason", reason.rawValue)], factory: factory))
        })
        rebindDurations = Dictionary(uniqueKeysWithValues: RebindReason.allCases.map { reason in
            (reason, Timer(label: GatewayMetricNames.sessionRebindDuration, dimensions: labels + [("reason", reason.rawValue)], factory: factory))
        })
        migrations = Counter(label: GatewayMetricNames.sessionMigrationsTotal, dimensions: labels, factory: factory)
        replayed = Counter(label: GatewayMetricNames.sessionReplayedTotal, dimensions: labels, factory: factory)
        deduplicated = Counter(label: GatewayMetricNames.sessionDeduplicatedTotal, dimensions: labels, factory: factory)
    }

    func rebind(_ reason: RebindReason) {
        rebinds[reason]?.increment()
        if reason.isMigration { migrations.increment() }
    }

    /// The re-bind latency histogram of `reason`.
    func rebindDuration(_ reason: RebindReason) -> Timer {
        rebindDurations[reason]!
    }

    func clientClosed(_ reason: CloseReason) {
        closes[reason]?.increment()
    }
}
