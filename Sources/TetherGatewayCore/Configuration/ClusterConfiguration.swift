/// A named set of upstream endpoints with a balancing policy, health checking and upstream options.
public struct ClusterConfiguration: Sendable, Equatable {
    public var name: String
    public var endpoints: [EndpointConfiguration]
    public var policy: BalancingPolicyConfiguration
    /// Bound on any endpoint's share under hashing policies: no endpoint takes more than
    /// `balanceFactor` × the average load. Must be > 1. Default 1.25.
    public var balanceFactor: Double
    /// Active HTTP health checks; nil disables them (endpoints are then healthy unless passively ejected).
    public var healthCheck: HealthCheckConfiguration?
    /// Passive ejection on connect or handshake failures.
    public var outlierDetection: OutlierDetectionConfiguration
    /// Ramp a recovered or newly added endpoint's weight from 10% to 100% over this long. Zero disables.
    public var slowStart: Duration
    /// Extra candidates tried after a failed connect or a 5xx before `101`. Default 2.
    public var retries: Int
    /// Upstream TCP connect timeout (a TLS handshake then counts against `responseTimeout`). Default 5 s.
    public var connectTimeout: Duration
    /// From the request (or WebSocket handshake) sent to the endpoint to its response head, or the attempt
    /// fails: a handshake moves on to the next candidate, a plain request gets 504. Default 60 s (long polls).
    public var responseTimeout: Duration
    /// Closes caused by draining an endpoint are spread evenly over this window. Default 30 s.
    public var drainWindow: Duration
    /// Keep-alive pings on idle tunnel legs.
    public var keepAlive: KeepAliveConfiguration
    /// TLS towards the endpoints (optionally mutual). Nil: plain TCP.
    public var upstreamTLS: UpstreamTLSConfiguration?
    /// Session mode (for routes with `mode: session`): migration pace, rebalance, re-bind bounds.
    public var session: SessionModeConfiguration

    public init(
        name: String,
        endpoints: [EndpointConfiguration] = [],
        policy: BalancingPolicyConfiguration = .roundRobin,
        balanceFactor: Double = 1.25,
        healthCheck: HealthCheckConfiguration? = nil,
        outlierDetection: OutlierDetectionConfiguration = .init(),
        slowStart: Duration = .zero,
        retries: Int = 2,
        connectTimeout: Duration = .seconds(5),
        responseTimeout: Duration = .seconds(60),
        drainWindow: Duration = .seconds(30),
        keepAlive: KeepAliveConfiguration = .init(),
        upstreamTLS: UpstreamTLSConfiguration? = nil,
        session: SessionModeConfiguration = .init()
    ) {
        self.name = name
        self.endpoints = endpoints
        self.policy = policy
        self.balanceFactor = balanceFactor
        self.healthCheck = healthCheck
        self.outlierDetection = outlierDetection
        self.slowStart = slowStart
        self.retries = retries
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.drainWindow = drainWindow
        self.keepAlive = keepAlive
        self.upstreamTLS = upstreamTLS
        self.session = session
    }
}

/// One upstream endpoint of a cluster.
public struct EndpointConfiguration: Sendable, Equatable {
    public var address: HostAndPort
    /// Relative weight, 1...1000. Default 1.
    public var weight: Int
    /// Circuit breaker: never more than this many concurrent connections to the endpoint. Nil: unlimited.
    public var maxConnections: Int?
    /// Administrative state at start; the admin API can change it at run time.
    public var state: EndpointAdminState

    public init(address: HostAndPort, weight: Int = 1, maxConnections: Int? = nil, state: EndpointAdminState = .ready) {
        self.address = address
        self.weight = weight
        self.maxConnections = maxConnections
        self.state = state
    }
}

/// What an operator wants of an endpoint.
public enum EndpointAdminState: String, Sendable, Equatable, CaseIterable {
    /// Takes new connections (when healthy).
    case ready
    /// Takes no new connections; its established tunnels are closed with 1012, spread over the drain window,
    /// and its sessions (session mode) move to other endpoints at the cluster's migration rate.
    case drain
    /// Maintenance: takes no new connections; established ones are left alone.
    case maint
}

/// How a cluster picks an endpoint.
public enum BalancingPolicyConfiguration: Sendable, Equatable {
    case roundRobin
    /// Power of two choices among the least loaded (by active connections / effective weight).
    case leastConnections
    case random
    /// Consistent hash (bounded loads) of the client IP.
    case clientIPHash
    /// Consistent hash (bounded loads) of a request header's value.
    case headerHash(name: String)
    /// Consistent hash (bounded loads) of a query parameter's value.
    case queryHash(name: String)
    /// Consistent hash (bounded loads) of a request cookie's value.
    case cookieHash(name: String)
    /// A gateway-issued, HMAC-signed cookie naming the endpoint. New clients are placed by least connections.
    case stickyCookie(StickyCookieConfiguration)
}

/// The gateway's own affinity cookie.
public struct StickyCookieConfiguration: Sendable, Equatable {
    /// Cookie name. Default `tether_sticky`.
    public var name: String
    /// HMAC-SHA256 key, at least 32 bytes.
    public var secret: String
    /// Bump to invalidate every issued cookie (they are then ignored and re-issued). Default 1.
    public var epoch: Int
    /// Cookies older than this are stale (ignored and re-issued), and it is the cookie's Max-Age. Default 1 day.
    public var maxAge: Duration

    public init(name: String = "tether_sticky", secret: String, epoch: Int = 1, maxAge: Duration = .seconds(86_400)) {
        self.name = name
        self.secret = secret
        self.epoch = epoch
        self.maxAge = maxAge
    }
}
