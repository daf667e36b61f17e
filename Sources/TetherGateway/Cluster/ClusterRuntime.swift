import NIOConcurrencyHelpers
import TetherGatewayCore

/// The live state of one cluster: its endpoints (admin state, health, passive ejection, connection counts,
/// slow start) and its balancer.
///
/// Thread-safe behind one lock. Only connection set-up and tear-down, health results and admin calls take
/// it; relaying never does. Time is passed in as wall-clock seconds (`now`) so every decision is testable.
final class ClusterRuntime: Sendable {
    let name: String
    private let state: NIOLockedValueBox<State>

    struct EndpointState {
        var configuration: EndpointConfiguration
        var id: String
        var adminState: EndpointAdminState
        var health: HealthStateMachine?
        var outlier: OutlierDetector
        var active = 0
        var total = 0
        /// When the endpoint last became eligible (slow start ramps from here).
        var eligibleSince: Double
        var wasEligible = true

        func isEligible(now: Double) -> Bool {
            adminState == .ready && (health?.isHealthy ?? true) && !outlier.isEjected(now: now)
        }
    }

    struct State {
        var configuration: ClusterConfiguration
        var endpoints: [EndpointState]
        var balancer: LoadBalancer
    }

    init(configuration: ClusterConfiguration, now: Double) {
        name = configuration.name
        let endpoints = configuration.endpoints.map { Self.makeEndpoint($0, cluster: configuration, eligibleSince: -.infinity) }
        state = NIOLockedValueBox(
            State(
                configuration: configuration,
                endpoints: endpoints,
                balancer: LoadBalancer(policy: configuration.policy, balanceFactor: configuration.balanceFactor)
            )
        )
    }

    private static func makeEndpoint(_ endpoint: EndpointConfiguration, cluster: ClusterConfiguration, eligibleSince: Double) -> EndpointState {
        EndpointState(
            configuration: endpoint,
            id: endpoint.address.description,
            adminState: endpoint.state,
            health: cluster.healthCheck.map { HealthStateMachine(rise: $0.rise, fall: $0.fall) },
            outlier: OutlierDetector(configuration: cluster.outlierDetection),
            eligibleSince: eligibleSince
        )
    }

    var configuration: ClusterConfiguration {
        state.withLockedValue { $0.configuration }
    }

    /// An endpoint to try, in the balancer's order.
    struct Target: Sendable, Equatable {
        var id: String
        var address: HostAndPort
    }

    struct Selection: Sendable {
        var targets: [Target]
        var stickyEndpointID: String?
    }

    /// Orders the eligible endpoints for `request`. Empty when none can take a connection.
    func select(_ request: BalancingRequest, now: Double) -> Selection {
        state.withLockedValue { state in
            let candidates = Self.candidates(&state, now: now)
            let decision = state.balancer.select(request, endpoints: candidates, now: now)
            let targets = decision.candidates.map { Target(id: state.endpoints[$0].id, address: state.endpoints[$0].configuration.address) }
            return Selection(targets: targets, stickyEndpointID: decision.stickyEndpointID)
        }
    }

    /// Where to move a session: the eligible endpoints other than `excluded`, least loaded first (active
    /// connections over effective weight, as if the session were added), whatever the cluster's policy (a
    /// moving session has no affinity to keep, and spreading a lost endpoint's sessions evenly matters more).
    func rebindTargets(excluding excluded: String?, now: Double) -> [Target] {
        state.withLockedValue { state in
            let candidates = Self.candidates(&state, now: now)
            return candidates.indices
                .filter { candidates[$0].isCandidate && candidates[$0].id != excluded }
                .sorted { (candidates[$0].loadIfPicked, $0) < (candidates[$1].loadIfPicked, $1) }
                .map { Target(id: state.endpoints[$0].id, address: state.endpoints[$0].configuration.address) }
        }
    }

    private static func candidates(_ state: inout State, now: Double) -> [EndpointCandidate] {
        let slowStart = state.configuration.slowStart
        return state.endpoints.indices.map { index in
            let eligible = state.endpoints[index].isEligible(now: now)
            if eligible && !state.endpoints[index].wasEligible {
                state.endpoints[index].eligibleSince = now
            }
            state.endpoints[index].wasEligible = eligible
            let endpoint = state.endpoints[index]
            let elapsed = Duration.milliseconds(Int64(max(0, min(now - endpoint.eligibleSince, 1e9)) * 1000))
            let factor = SlowStart.weightFactor(elapsed: elapsed, window: slowStart)
            return EndpointCandidate(
                id: endpoint.id,
                weight: endpoint.configuration.weight,
                effectiveWeight: Double(endpoint.configuration.weight) * factor,
                activeConnections: endpoint.active,
                maxConnections: endpoint.configuration.maxConnections,
                isEligible: eligible
            )
        }
    }

    /// Takes a connection slot on an endpoint; false when its circuit breaker (max connections) is full or the
    /// endpoint is gone.
    func acquire(_ id: String) -> Bool {
        state.withLockedValue { state in
            guard let index = state.endpoints.firstIndex(where: { $0.id == id }) else { return false }
            if let limit = state.endpoints[index].configuration.maxConnections, state.endpoints[index].active >= limit {
                return false
            }
            state.endpoints[index].active += 1
            state.endpoints[index].total += 1
            return true
        }
    }

    func release(_ id: String) {
        state.withLockedValue { state in
            guard let index = state.endpoints.firstIndex(where: { $0.id == id }) else { return }
            state.endpoints[index].active = max(0, state.endpoints[index].active - 1)
        }
    }

    /// Feeds a connect/handshake outcome to passive ejection.
    func recordAttempt(_ id: String, success: Bool, now: Double) {
        state.withLockedValue { state in
            guard let index = state.endpoints.firstIndex(where: { $0.id == id }) else { return }
            state.endpoints[index].outlier.record(success: success, now: now)
        }
    }

    /// Feeds an active health-check result; returns the transition, if any.
    func recordHealthCheck(_ id: String, success: Bool) -> HealthTransition? {
        state.withLockedValue { state in
            guard let index = state.endpoints.firstIndex(where: { $0.id == id }) else { return nil }
            return state.endpoints[index].health?.record(success: success)
        }
    }

    /// An endpoint's admin state, or nil when there is no such endpoint. Changes nothing.
    func adminState(of id: String) -> EndpointAdminState? {
        state.withLockedValue { state in state.endpoints.first { $0.id == id }?.adminState }
    }

    /// Sets an endpoint's admin state; false when there is no such endpoint.
    func setAdminState(_ id: String, to adminState: EndpointAdminState) -> Bool {
        state.withLockedValue { state in
            guard let index = state.endpoints.firstIndex(where: { $0.id == id }) else { return false }
            state.endpoints[index].adminState = adminState
            return true
        }
    }

    /// Applies a new configuration of this cluster. Endpoints kept (same address) keep their counts, health
    /// and ejection state; the admin state is taken from the new file only for new endpoints. Returns the ids
    /// of the endpoints that were removed.
    func update(_ configuration: ClusterConfiguration, now: Double) -> [String] {
        state.withLockedValue { state in
            var old = Dictionary(uniqueKeysWithValues: state.endpoints.map { ($0.id, $0) })
            var endpoints: [EndpointState] = []
            for endpoint in configuration.endpoints {
                let id = endpoint.address.description
                if var kept = old.removeValue(forKey: id) {
                    kept.configuration = endpoint
                    if state.configuration.healthCheck != configuration.healthCheck {
                        kept.health = configuration.healthCheck.map { HealthStateMachine(rise: $0.rise, fall: $0.fall) }
                    }
                    if state.configuration.outlierDetection != configuration.outlierDetection {
                        kept.outlier = OutlierDetector(configuration: configuration.outlierDetection)
                    }
                    endpoints.append(kept)
                } else {
                    endpoints.append(Self.makeEndpoint(endpoint, cluster: configuration, eligibleSince: now))
                }
            }
            if state.configuration.policy != configuration.policy || state.configuration.balanceFactor != configuration.balanceFactor {
                state.balancer = LoadBalancer(policy: configuration.policy, balanceFactor: configuration.balanceFactor)
            }
            state.configuration = configuration
            state.endpoints = endpoints
            return Array(old.keys)
        }
    }

    /// A consistent view for the admin API and metrics.
    func status(now: Double) -> ClusterStatus {
        state.withLockedValue { state in
            let candidates = Self.candidates(&state, now: now)
            return ClusterStatus(
                name: name,
                policy: state.configuration.policy.name,
                endpoints: state.endpoints.indices.map { index in
                    let endpoint = state.endpoints[index]
                    return EndpointStatus(
                        id: endpoint.id,
                        state: endpoint.adminState,
                        healthy: endpoint.health?.isHealthy ?? true,
                        ejected: endpoint.outlier.isEjected(now: now),
                        eligible: candidates[index].isEligible,
                        weight: endpoint.configuration.weight,
                        effectiveWeight: candidates[index].effectiveWeight,
                        activeConnections: endpoint.active,
                        totalConnections: endpoint.total,
                        maxConnections: endpoint.configuration.maxConnections
                    )
                }
            )
        }
    }

    /// Seconds until an endpoint may become available again (for Retry-After); 1 at least.
    func retryAfter(now: Double) -> Int {
        state.withLockedValue { state in
            let until = state.endpoints.compactMap { $0.outlier.ejectedUntil }.filter { $0 > now }.min()
            return max(1, Int(((until ?? now + 5) - now).rounded(.up)))
        }
    }
}
