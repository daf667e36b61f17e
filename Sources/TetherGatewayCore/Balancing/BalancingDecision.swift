/// The balancer's answer: every endpoint that may take the connection, best first. The caller connects to the
/// first and, on failure, moves to the next (up to its retry budget).
public struct BalancingDecision: Sendable, Equatable {
    /// Indices into the endpoints array passed to ``LoadBalancer/select(_:endpoints:now:)``, best first. Only
    /// candidates (eligible and under `maxConnections`), each once. Empty: no endpoint can take it (503).
    public var candidates: [Int]
    /// The endpoint id named by a valid sticky cookie (sticky policy only), whether or not it is a candidate.
    /// The caller issues a new cookie when the endpoint it connects to has another id.
    public var stickyEndpointID: String?

    public init(candidates: [Int], stickyEndpointID: String? = nil) {
        self.candidates = candidates
        self.stickyEndpointID = stickyEndpointID
    }
}
