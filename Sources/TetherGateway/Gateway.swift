import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import TetherGatewayCore

/// A running WebSocket-aware load balancer: listeners, clusters, tunnels. The library's entry point; the
/// `tether gateway` command wraps it in a ``GatewayService``.
///
/// Thread-safe. ``apply(_:)`` reloads a validated configuration without closing any established connection
/// unless its endpoint was removed (those tunnels are drained with 1012 over the cluster's drain window).
public final class Gateway: Sendable {
    let runtime: GatewayRuntime
    private let listeners = NIOLockedValueBox<[String: ListenerRuntime]>([:])
    private let configurationBox: NIOLockedValueBox<GatewayConfiguration>
    private let healthTasks = NIOLockedValueBox<[Task<Void, Never>]>([])

    public init(
        configuration: GatewayConfiguration,
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        metrics: GatewayMetrics = GatewayMetrics(),
        logger: Logger = Logger(label: "tether.gateway")
    ) {
        configurationBox = NIOLockedValueBox(configuration)
        runtime = GatewayRuntime(limits: configuration.limits, group: group, metrics: metrics, logger: logger)
    }

    public var configuration: GatewayConfiguration { configurationBox.withLockedValue { $0 } }

    /// Binds every listener and starts health checks and tunnel sweeps. Throws if a listener cannot bind or
    /// a TLS file cannot be read.
    public func start() async throws {
        let configuration = self.configuration
        let connectors = try GatewayRuntime.makeConnectors(configuration.clusters)
        _ = runtime.apply(clusters: configuration.clusters, connectors: connectors, limits: configuration.limits)
        for listenerConfiguration in configuration.listeners {
            let listener = try ListenerRuntime(configuration: listenerConfiguration)
            try await bind(listener)
            listeners.withLockedValue { $0[listener.name] = listener }
        }
        runtime.tunnels.startSweeping()
        restartHealthChecks()
    }

    /// The bound address of a listener (useful with port 0).
    public func localAddress(ofListener name: String) -> SocketAddress? {
        listeners.withLockedValue { $0[name] }?.localAddress
    }

    /// Every listener's name and bound address.
    public var listenerAddresses: [(name: String, address: SocketAddress)] {
        listeners.withLockedValue { Array($0.values) }
            .compactMap { listener in listener.localAddress.map { (listener.name, $0) } }
            .sorted { $0.name < $1.name }
    }

    private func bind(_ listener: ListenerRuntime) async throws {
        let address = listener.configuration.address
        let runtime = self.runtime
        let channel = try await ServerBootstrap(group: runtime.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.recvAllocator, value: RelayBuffers.receiveAllocator)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try DownstreamPipeline.configure(channel, listener: listener, runtime: runtime)
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
        listener.serverChannel.withLockedValue { $0 = channel }
        runtime.logger.notice("listening", metadata: ["listener": "\(listener.name)", "address": "\(channel.localAddress?.displayHostPort ?? "?")"])
    }

    // MARK: Reload

    /// What a reload changed.
    public struct ReloadSummary: Sendable, Equatable {
        public var listenersAdded: [String] = []
        public var listenersRemoved: [String] = []
        public var endpointsRemoved: [String] = []
    }

    /// Applies a new, validated configuration, all or nothing: first everything that can fail is built (TLS
    /// files read, new listeners bound), and on any error the running configuration stays untouched; then
    /// clusters are swapped in before routes, so no route ever names a missing cluster. Kept listeners get the
    /// new routes and TLS files; removed ones stop accepting. Established connections are kept, except tunnels
    /// to removed endpoints, which are drained with 1012 over their cluster's drain window.
    @discardableResult
    public func apply(_ configuration: GatewayConfiguration) async throws -> ReloadSummary {
        let current = listeners.withLockedValue { $0 }
        var kept: [(ListenerRuntime, ListenerRuntime.Current)] = []
        var fresh: [ListenerRuntime] = []
        for listenerConfiguration in configuration.listeners {
            if let existing = current[listenerConfiguration.name], existing.configuration.address == listenerConfiguration.address {
                kept.append((existing, try ListenerRuntime.prepare(listenerConfiguration)))
            } else {
                fresh.append(try ListenerRuntime(configuration: listenerConfiguration))
            }
        }
        let connectors = try GatewayRuntime.makeConnectors(configuration.clusters)
        var bound: [ListenerRuntime] = []
        do {
            for listener in fresh {
                try await bind(listener)
                bound.append(listener)
            }
        } catch {
            for listener in bound { try? await listener.serverChannel.withLockedValue { $0 }?.close() }
            throw error
        }

        let removedEndpoints = runtime.apply(clusters: configuration.clusters, connectors: connectors, limits: configuration.limits)
        for (listener, prepared) in kept { listener.commit(prepared) }
        let keptNames = Set(kept.map { $0.0.name })
        let retired = current.values.filter { !keptNames.contains($0.name) }
        listeners.withLockedValue { table in
            for listener in retired { table[listener.name] = nil }
            for listener in bound { table[listener.name] = listener }
        }
        for listener in retired {
            try? await listener.serverChannel.withLockedValue { $0 }?.close()
        }
        configurationBox.withLockedValue { $0 = configuration }
        let metrics = runtime.metrics
        for cluster in Set(removedEndpoints.map(\.cluster)) where configuration.cluster(named: cluster) == nil {
            // A removed cluster's sessions have nowhere to move: their clients resume elsewhere by themselves.
            await runtime.tunnels.closeSessions(cluster: cluster, cause: .shutdown, window: configuration.shutdownDrainWindow)
        }
        for (cluster, endpoint) in removedEndpoints {
            let window = configuration.cluster(named: cluster)?.drainWindow ?? configuration.shutdownDrainWindow
            if let session = configuration.cluster(named: cluster)?.session {
                await runtime.tunnels.migrateSessions(cluster: cluster, endpoint: endpoint, rate: session.migrationRate, reason: .drain)
            }
            await runtime.tunnels.closeSpread(
                cluster: cluster,
                endpoint: endpoint,
                cause: .drain,
                window: window,
                onClose: { cluster, endpoint in metrics.endpoint(cluster: cluster, endpoint: endpoint).drainCloses.increment() }
            )
        }
        restartHealthChecks()
        let names = Set(configuration.listeners.map(\.name))
        let summary = ReloadSummary(
            listenersAdded: bound.map(\.name).filter { current[$0] == nil },
            listenersRemoved: retired.map(\.name).filter { !names.contains($0) },
            endpointsRemoved: removedEndpoints.map { "\($0.cluster)/\($0.endpoint)" }
        )
        runtime.logger.notice(
            "configuration applied",
            metadata: [
                "listeners": "\(configuration.listeners.count)", "clusters": "\(configuration.clusters.count)",
                "endpoints_removed": "\(summary.endpointsRemoved)",
            ]
        )
        return summary
    }

    private func restartHealthChecks() {
        let runtime = self.runtime
        var tasks = runtime.allClusters.filter { $0.configuration.healthCheck != nil }.map { cluster in
            Task { await HealthCheckService(cluster: cluster, runtime: runtime).run() }
        }
        tasks += runtime.allClusters.filter { $0.configuration.session.rebalance }.map { cluster in
            Task { await SessionRebalancer(cluster: cluster, runtime: runtime).run() }
        }
        let old = healthTasks.withLockedValue { current in
            defer { current = tasks }
            return current
        }
        old.forEach { $0.cancel() }
    }

    // MARK: Admin

    public func clusterStatuses() -> [ClusterStatus] {
        let now = runtime.now()
        return runtime.allClusters.map { $0.status(now: now) }
    }

    /// Sets the `endpoint_healthy` gauge of every endpoint from its current eligibility (admin state, health
    /// checks, passive ejection). Call before exporting metrics.
    public func refreshHealthGauges() {
        for cluster in clusterStatuses() {
            for endpoint in cluster.endpoints {
                runtime.metrics.endpoint(cluster: cluster.name, endpoint: endpoint.id).healthy.record(endpoint.eligible ? 1 : 0)
            }
        }
    }

    public enum EndpointStateChange: Sendable, Equatable {
        case changed(drainingTunnels: Int)
        case noSuchCluster
        case noSuchEndpoint
    }

    /// Sets an endpoint's admin state. `drain` closes its tunnels with 1012 spread over the cluster's drain
    /// window and moves its sessions (session mode) to other endpoints at the cluster's migration rate
    /// (calling the drain off by setting `ready` again stops the remaining closes and moves).
    public func setEndpointState(cluster name: String, endpoint: String, to state: EndpointAdminState) async -> EndpointStateChange {
        guard let cluster = runtime.cluster(named: name) else { return .noSuchCluster }
        guard cluster.setAdminState(endpoint, to: state) else { return .noSuchEndpoint }
        runtime.logger.notice("endpoint state changed", metadata: ["cluster": "\(name)", "endpoint": "\(endpoint)", "state": "\(state.rawValue)"])
        guard state == .drain else { return .changed(drainingTunnels: 0) }
        let metrics = runtime.metrics
        let count = await runtime.tunnels.closeSpread(
            cluster: name,
            endpoint: endpoint,
            cause: .drain,
            window: cluster.configuration.drainWindow,
            stillWanted: { cluster.adminState(of: endpoint) == .drain },
            onClose: { cluster, endpoint in metrics.endpoint(cluster: cluster, endpoint: endpoint).drainCloses.increment() }
        )
        let moving = await runtime.tunnels.migrateSessions(
            cluster: name,
            endpoint: endpoint,
            rate: cluster.configuration.session.migrationRate,
            reason: .drain,
            stillWanted: { cluster.adminState(of: endpoint) == .drain }
        )
        return .changed(drainingTunnels: count + moving)
    }

    /// Live sessions (session mode), optionally of one cluster or endpoint.
    public func sessionCount(cluster: String? = nil, endpoint: String? = nil) async -> Int {
        let counts = await runtime.tunnels.sessionCounts(cluster: cluster)
        return endpoint.map { counts[$0] ?? 0 } ?? counts.values.reduce(0, +)
    }

    /// Live tunnels, optionally of one cluster or endpoint.
    public func tunnelCount(cluster: String? = nil, endpoint: String? = nil) async -> Int {
        await runtime.tunnels.count(cluster: cluster, endpoint: endpoint)
    }

    public var openConnectionCount: Int { runtime.openConnectionCount }

    // MARK: Shutdown

    /// Stops accepting, closes every tunnel with 1001 spread over `shutdownDrainWindow`, waits for them to end
    /// (at most the window plus a few seconds), then stops health checks and sweeps.
    public func shutdown() async {
        runtime.beginShutdown()
        let all = listeners.withLockedValue { Array($0.values) }
        for listener in all {
            try? await listener.serverChannel.withLockedValue { $0 }?.close()
        }
        let window = configuration.shutdownDrainWindow
        let metrics = runtime.metrics
        let scheduled = await runtime.tunnels.closeSpread(
            cluster: nil,
            endpoint: nil,
            cause: .shutdown,
            window: window,
            onClose: { cluster, endpoint in metrics.endpoint(cluster: cluster, endpoint: endpoint).drainCloses.increment() }
        )
        let sessions = await runtime.tunnels.closeSessions(cluster: nil, cause: .shutdown, window: window)
        runtime.logger.notice("shutting down", metadata: ["tunnels": "\(scheduled)", "sessions": "\(sessions)", "window": "\(window)"])
        let deadline = ContinuousClock.now + window + .seconds(6)
        while await runtime.tunnels.count() + sessionCount() > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        runtime.tunnels.stopSweeping()
        healthTasks.withLockedValue { $0 }.forEach { $0.cancel() }
        runtime.logger.notice("gateway stopped")
    }
}
