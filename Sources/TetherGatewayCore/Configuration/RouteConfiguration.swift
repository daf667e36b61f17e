/// Matches requests by host and path prefix and sends them to a cluster.
public struct RouteConfiguration: Sendable, Equatable {
    /// Host to match, without port: `chat.example.com`, `*.example.com` (one or more labels), or nil for any.
    public var host: String?
    /// Path prefix to match, segment-aware (`/ws` matches `/ws`, `/ws/` and `/ws/x`, not `/wsx`). Default `/`.
    public var pathPrefix: String
    /// Name of the cluster that serves the route.
    public var cluster: String
    /// How WebSocket connections on this route are carried. Default `tunnel`.
    public var mode: RouteMode

    public init(host: String? = nil, pathPrefix: String = "/", cluster: String, mode: RouteMode = .tunnel) {
        self.host = host
        self.pathPrefix = pathPrefix
        self.cluster = cluster
        self.mode = mode
    }
}

public enum RouteMode: String, Sendable, Equatable, CaseIterable {
    /// Classic L7 balancing: the handshake is forwarded and frames are relayed untouched.
    case tunnel
    /// The gateway completes the client's handshake itself and speaks the Tether protocol to the client and
    /// to a node, so it can move the session to another node without closing the client's connection. The
    /// endpoints must be Tether nodes.
    case session
}
