import CoreMetrics
import NIOConcurrencyHelpers
import TetherGatewayCore

/// The gateway's metric handles, created once per label set through an injected factory (the executable
/// bootstraps Prometheus; tests pass their own factory). Names come from ``GatewayMetricNames``.
///
/// Thread-safe. Hot paths hold on to the per-endpoint handles instead of looking them up per event.
public final class GatewayMetrics: Sendable {
    private let factory: MetricsFactory
    private let endpoints = NIOLockedValueBox<[String: EndpointMetrics]>([:])
    private let listeners = NIOLockedValueBox<[String: ListenerMetrics]>([:])
    private let sessions = NIOLockedValueBox<[String: SessionMetrics]>([:])

    public init(factory: MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    func endpoint(cluster: String, endpoint: String) -> EndpointMetrics {
        let key = cluster + "\u{0}" + endpoint
        return endpoints.withLockedValue { cache in
            if let existing = cache[key] { return existing }
            let made = EndpointMetrics(cluster: cluster, endpoint: endpoint, factory: factory)
            cache[key] = made
            return made
        }
    }

    func session(cluster: String) -> SessionMetrics {
        sessions.withLockedValue { cache in
            if let existing = cache[cluster] { return existing }
            let made = SessionMetrics(cluster: cluster, factory: factory)
            cache[cluster] = made
            return made
        }
    }

    func listener(_ name: String) -> ListenerMetrics {
        listeners.withLockedValue { cache in
            if let existing = cache[name] { return existing }
            let made = ListenerMetrics(listener: name, factory: factory)
            cache[name] = made
            return made
        }
    }

    func refusal(listener: String, reason: GatewayRefusal) {
        Counter(label: GatewayMetricNames.refusalsTotal, dimensions: [("listener", listener), ("reason", reason.rawValue)], factory: factory)
            .increment()
    }

    func upstreamFailure(cluster: String, endpoint: String, reason: UpstreamFailureReason) {
        Counter(
            label: GatewayMetricNames.upstreamFailuresTotal,
            dimensions: [("cluster", cluster), ("endpoint", endpoint), ("reason", reason.rawValue)],
            factory: factory
        ).increment()
    }

    func handshake(cluster: String, seconds: Double) {
        Timer(label: GatewayMetricNames.handshakeDuration, dimensions: [("cluster", cluster)], factory: factory)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    public func reload(ok: Bool) {
        Counter(label: GatewayMetricNames.reloadsTotal, dimensions: [("result", ok ? "ok" : "invalid")], factory: factory).increment()
    }
}

/// Per-endpoint handles.
final class EndpointMetrics: Sendable {
    let tunnelsActive: Meter
    let upgrades: Counter
    let httpRequests: Counter
    let bytesToDownstream: Counter
    let bytesToUpstream: Counter
    let messagesToDownstream: Counter
    let messagesToUpstream: Counter
    let drainCloses: Counter
    let timeouts: Counter
    let healthy: Gauge
    let sessionsActive: Meter

    init(cluster: String, endpoint: String, factory: MetricsFactory) {
        let labels = [("cluster", cluster), ("endpoint", endpoint)]
        let down = labels + [("direction", "downstream")]
        let up = labels + [("direction", "upstream")]
        tunnelsActive = Meter(label: GatewayMetricNames.tunnelsActive, dimensions: labels, factory: factory)
        upgrades = Counter(label: GatewayMetricNames.upgradesTotal, dimensions: labels, factory: factory)
        httpRequests = Counter(label: GatewayMetricNames.httpRequestsTotal, dimensions: labels, factory: factory)
        bytesToDownstream = Counter(label: GatewayMetricNames.bytesRelayedTotal, dimensions: down, factory: factory)
        bytesToUpstream = Counter(label: GatewayMetricNames.bytesRelayedTotal, dimensions: up, factory: factory)
        messagesToDownstream = Counter(label: GatewayMetricNames.messagesRelayedTotal, dimensions: down, factory: factory)
        messagesToUpstream = Counter(label: GatewayMetricNames.messagesRelayedTotal, dimensions: up, factory: factory)
        drainCloses = Counter(label: GatewayMetricNames.drainClosesTotal, dimensions: labels, factory: factory)
        timeouts = Counter(label: GatewayMetricNames.tunnelTimeoutsTotal, dimensions: labels, factory: factory)
        healthy = Gauge(label: GatewayMetricNames.endpointHealthy, dimensions: labels, factory: factory)
        sessionsActive = Meter(label: GatewayMetricNames.sessionsActive, dimensions: labels, factory: factory)
    }
}

/// Per-listener handles.
final class ListenerMetrics: Sendable {
    let active: Meter
    let total: Counter

    init(listener: String, factory: MetricsFactory) {
        active = Meter(label: GatewayMetricNames.downstreamConnectionsActive, dimensions: [("listener", listener)], factory: factory)
        total = Counter(label: GatewayMetricNames.downstreamConnectionsTotal, dimensions: [("listener", listener)], factory: factory)
    }
}
