import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import Synchronization
import TetherGatewayCore

/// State shared by every connection of a running gateway: clusters, limits, counters, the tunnel registry,
/// metrics. Thread-safe; each piece has its own lock, and none is taken while relaying frames.
final class GatewayRuntime: Sendable {
    let metrics: GatewayMetrics
    let logger: Logger
    let group: EventLoopGroup
    let tunnels: TunnelRegistry
    private let clusters = NIOLockedValueBox<[String: ClusterRuntime]>([:])
    private let connectors = NIOLockedValueBox<[String: UpstreamConnector]>([:])
    private let limitsBox: NIOLockedValueBox<LimitsConfiguration>
    private let perIP = NIOLockedValueBox(ConnectionCounter())
    private let upgradeLimiter = NIOLockedValueBox<TokenBucketLimiter?>(nil)
    private let openConnections = Atomic<Int>(0)
    private let shuttingDown = Atomic<Bool>(false)
    /// Wall-clock seconds; injectable for tests.
    let clock: @Sendable () -> Double

    init(
        limits: LimitsConfiguration,
        group: EventLoopGroup,
        metrics: GatewayMetrics,
        logger: Logger,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.limitsBox = NIOLockedValueBox(limits)
        self.group = group
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        self.tunnels = TunnelRegistry(group: group)
        self.upgradeLimiter.withLockedValue { $0 = Self.makeLimiter(limits) }
    }

    private static func makeLimiter(_ limits: LimitsConfiguration) -> TokenBucketLimiter? {
        guard let rate = limits.upgradesPerIPPerSecond else { return nil }
        return TokenBucketLimiter(ratePerSecond: rate, burst: limits.upgradeBurst ?? max(1, Int((rate * 2).rounded(.up))))
    }

    var limits: LimitsConfiguration { limitsBox.withLockedValue { $0 } }

    func now() -> Double { clock() }

    // MARK: Clusters

    func cluster(named name: String) -> ClusterRuntime? {
        clusters.withLockedValue { $0[name] }
    }

    var allClusters: [ClusterRuntime] {
        clusters.withLockedValue { Array($0.values) }.sorted { $0.name < $1.name }
    }

    func connector(for cluster: String) -> UpstreamConnector? {
        connectors.withLockedValue { $0[cluster] }
    }

    /// The upstream connectors of `configurations`, reading their TLS files. Throws on unreadable files.
    static func makeConnectors(_ configurations: [ClusterConfiguration]) throws -> [String: UpstreamConnector] {
        var connectors: [String: UpstreamConnector] = [:]
        for configuration in configurations {
            connectors[configuration.name] = try UpstreamConnector(
                connectTimeout: TimeAmount(configuration.connectTimeout),
                tls: configuration.upstreamTLS.map(TLSContexts.client),
                serverName: configuration.upstreamTLS?.serverName
            )
        }
        return connectors
    }

    /// Installs a validated configuration's clusters, their connectors (``makeConnectors(_:)``) and limits.
    /// Returns the endpoints (cluster, id) that were removed, whose tunnels the caller closes.
    func apply(
        clusters configurations: [ClusterConfiguration],
        connectors newConnectors: [String: UpstreamConnector],
        limits: LimitsConfiguration
    ) -> [(cluster: String, endpoint: String)] {
        let now = now()
        var removed: [(cluster: String, endpoint: String)] = []
        clusters.withLockedValue { clusters in
            var next: [String: ClusterRuntime] = [:]
            for configuration in configurations {
                if let existing = clusters.removeValue(forKey: configuration.name) {
                    removed += existing.update(configuration, now: now).map { (configuration.name, $0) }
                    next[configuration.name] = existing
                } else {
                    next[configuration.name] = ClusterRuntime(configuration: configuration, now: now)
                }
            }
            for (name, gone) in clusters {
                removed += gone.status(now: now).endpoints.map { (name, $0.id) }
            }
            clusters = next
        }
        connectors.withLockedValue { $0 = newConnectors }
        limitsBox.withLockedValue { $0 = limits }
        upgradeLimiter.withLockedValue { limiter in
            // Rebuilt (and so every bucket refilled) only when the rate or burst really changed.
            let next = Self.makeLimiter(limits)
            if limiter?.ratePerSecond != next?.ratePerSecond || limiter?.burst != next?.burst {
                limiter = next
            }
        }
        return removed
    }

    // MARK: Limits

    /// Counts a new downstream connection; false when the gateway-wide limit is reached.
    func openConnection() -> Bool {
        let open = openConnections.wrappingAdd(1, ordering: .relaxed).newValue
        if let limit = limits.maxConnections, open > limit {
            openConnections.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func closeConnection() {
        openConnections.wrappingSubtract(1, ordering: .relaxed)
    }

    var openConnectionCount: Int { openConnections.load(ordering: .relaxed) }

    /// Takes a per-IP connection slot; false when the client IP is at its limit.
    func acquireIP(_ key: String) -> Bool {
        let limit = limits.maxConnectionsPerIP
        return perIP.withLockedValue { $0.increment(key, limit: limit) }
    }

    func releaseIP(_ key: String) {
        perIP.withLockedValue { $0.decrement(key) }
    }

    /// Nil when the upgrade may go ahead, else the seconds after which to retry.
    func upgradeRetryAfter(_ key: String) -> Double? {
        let now = now()
        return upgradeLimiter.withLockedValue { limiter -> Double? in
            guard limiter != nil else { return nil }
            switch limiter!.acquire(key: key, now: now) {
            case .allowed: return nil
            case .limited(let retryAfter): return retryAfter
            }
        }
    }

    var isShuttingDown: Bool { shuttingDown.load(ordering: .relaxed) }

    func beginShutdown() {
        shuttingDown.store(true, ordering: .relaxed)
    }
}
