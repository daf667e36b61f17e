import TetherGatewayCore

/// A snapshot of a cluster for the admin API (`GET /clusters`).
public struct ClusterStatus: Sendable, Codable, Equatable {
    public var name: String
    public var policy: String
    public var endpoints: [EndpointStatus]
}

/// A snapshot of one endpoint.
public struct EndpointStatus: Sendable, Codable, Equatable {
    public var id: String
    public var state: EndpointAdminState
    /// Result of active health checks (true when none are configured).
    public var healthy: Bool
    /// Passively ejected after repeated connect or handshake failures.
    public var ejected: Bool
    /// Takes new connections now: ready, healthy and not ejected.
    public var eligible: Bool
    public var weight: Int
    /// Weight after slow start.
    public var effectiveWeight: Double
    public var activeConnections: Int
    public var totalConnections: Int
    public var maxConnections: Int?
}

extension EndpointAdminState: Codable {}

extension BalancingPolicyConfiguration {
    /// The policy's configuration-file name.
    public var name: String {
        switch self {
        case .roundRobin: "round_robin"
        case .leastConnections: "least_connections"
        case .random: "random"
        case .clientIPHash: "ip_hash"
        case .headerHash: "header_hash"
        case .queryHash: "query_hash"
        case .cookieHash: "cookie_hash"
        case .stickyCookie: "sticky_cookie"
        }
    }
}
