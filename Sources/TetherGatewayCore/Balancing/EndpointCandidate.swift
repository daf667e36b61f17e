/// One endpoint as the balancer sees it at the moment of a pick: identity, weights, load and eligibility.
///
/// The I/O layer builds these from its per-cluster runtime state (under its lock) and passes them to
/// ``LoadBalancer/select(_:endpoints:now:)``; the decision's indices refer to the array it passed.
public struct EndpointCandidate: Sendable, Equatable {
    /// Stable identity, `host:port`. Hash rings and round-robin state are keyed by it.
    public var id: String
    /// Configured weight. Places the endpoint's virtual nodes on the hash ring (so slow start and health do
    /// not move keys around).
    public var weight: Int
    /// Weight after slow start. Used for capacity, least-connections load, round robin and random picks.
    public var effectiveWeight: Double
    /// Connections currently open to the endpoint.
    public var activeConnections: Int
    /// Circuit breaker: an endpoint at or over this many connections is never a candidate. Nil: no limit.
    public var maxConnections: Int?
    /// Ready (administratively), healthy and not ejected.
    public var isEligible: Bool

    public init(
        id: String,
        weight: Int = 1,
        effectiveWeight: Double? = nil,
        activeConnections: Int = 0,
        maxConnections: Int? = nil,
        isEligible: Bool = true
    ) {
        self.id = id
        self.weight = weight
        self.effectiveWeight = effectiveWeight ?? Double(weight)
        self.activeConnections = activeConnections
        self.maxConnections = maxConnections
        self.isEligible = isEligible
    }

    /// Eligible and under its circuit breaker: may be handed a new connection.
    public var isCandidate: Bool {
        guard isEligible else { return false }
        if let maxConnections, activeConnections >= maxConnections { return false }
        return true
    }

    /// Load if one more connection were placed here, relative to the effective weight. The `+ 1` makes weight
    /// count even when every endpoint is idle (a slow-starting endpoint then still gets fewer new connections).
    public var loadIfPicked: Double {
        Double(activeConnections + 1) / max(effectiveWeight, 1e-6)
    }
}
