/// Gateway-wide limits and timeouts. Each refusal has its own status or close code and metric reason.
public struct LimitsConfiguration: Sendable, Equatable {
    /// A client must send its whole request head within this long, or gets 408 (slowloris). Default 10 s.
    public var requestHeadTimeout: Duration
    /// Largest request head (request line + headers), or 431. Default 16 KiB.
    public var maxRequestHeadBytes: Int
    /// Largest plain-HTTP request body forwarded, or 413. Default 10 MiB.
    public var maxRequestBodyBytes: Int
    /// A tunnel with no data in either direction for this long is closed with 1001. Zero disables. Default 0.
    public var idleTimeout: Duration
    /// A keep-alive HTTP connection with no request for this long is closed. Default 60 s.
    public var httpKeepAliveTimeout: Duration
    /// Downstream connections open at once, gateway-wide, or new ones get 503. Nil: unlimited.
    public var maxConnections: Int?
    /// Downstream connections per client IP, or 429. Nil: unlimited.
    public var maxConnectionsPerIP: Int?
    /// WebSocket upgrades per client IP per second (token bucket), or 429 with Retry-After. Nil: unlimited.
    public var upgradesPerIPPerSecond: Double?
    /// Bucket size for `upgradesPerIPPerSecond`. Default 2 × the rate, at least 1.
    public var upgradeBurst: Int?

    public init(
        requestHeadTimeout: Duration = .seconds(10),
        maxRequestHeadBytes: Int = 16_384,
        maxRequestBodyBytes: Int = 10 << 20,
        idleTimeout: Duration = .zero,
        httpKeepAliveTimeout: Duration = .seconds(60),
        maxConnections: Int? = nil,
        maxConnectionsPerIP: Int? = nil,
        upgradesPerIPPerSecond: Double? = nil,
        upgradeBurst: Int? = nil
    ) {
        self.requestHeadTimeout = requestHeadTimeout
        self.maxRequestHeadBytes = maxRequestHeadBytes
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.idleTimeout = idleTimeout
        self.httpKeepAliveTimeout = httpKeepAliveTimeout
        self.maxConnections = maxConnections
        self.maxConnectionsPerIP = maxConnectionsPerIP
        self.upgradesPerIPPerSecond = upgradesPerIPPerSecond
        self.upgradeBurst = upgradeBurst
    }
}

/// The admin listener: cluster/endpoint state, drain, reload and Prometheus metrics.
public struct AdminConfiguration: Sendable, Equatable {
    public var address: HostAndPort
    /// If set, admin requests must carry `Authorization: Bearer <token>` (except `GET /metrics` and `GET /health`).
    public var token: String?

    public init(address: HostAndPort, token: String? = nil) {
        self.address = address
        self.token = token
    }
}
