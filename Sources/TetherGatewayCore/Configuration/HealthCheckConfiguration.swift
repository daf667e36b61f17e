/// Active HTTP health checks of every endpoint of a cluster.
public struct HealthCheckConfiguration: Sendable, Equatable {
    /// Path requested with `GET`. Default `/health`.
    public var path: String
    public var interval: Duration
    public var timeout: Duration
    /// Statuses counted as success. Default 200...299.
    public var expectedStatus: ClosedRange<Int>
    /// Consecutive successes that make an unhealthy endpoint healthy. Default 2.
    public var rise: Int
    /// Consecutive failures that make a healthy endpoint unhealthy. Default 3.
    public var fall: Int

    public init(
        path: String = "/health",
        interval: Duration = .seconds(5),
        timeout: Duration = .seconds(2),
        expectedStatus: ClosedRange<Int> = 200...299,
        rise: Int = 2,
        fall: Int = 3
    ) {
        self.path = path
        self.interval = interval
        self.timeout = timeout
        self.expectedStatus = expectedStatus
        self.rise = rise
        self.fall = fall
    }
}

/// Passive ejection: an endpoint that fails `consecutiveFailures` connects or handshakes in a row is ejected
/// for `baseEjectionTime`, doubled on each repeated ejection up to `maxEjectionTime`.
public struct OutlierDetectionConfiguration: Sendable, Equatable {
    public var consecutiveFailures: Int
    public var baseEjectionTime: Duration
    public var maxEjectionTime: Duration

    public init(consecutiveFailures: Int = 3, baseEjectionTime: Duration = .seconds(5), maxEjectionTime: Duration = .seconds(300)) {
        self.consecutiveFailures = consecutiveFailures
        self.baseEjectionTime = baseEjectionTime
        self.maxEjectionTime = maxEjectionTime
    }
}

/// Keep-alive pings on idle tunnel legs: a leg that has sent nothing for `interval` gets a ping; if it still
/// sends nothing (not even the pong) within `timeout`, the tunnel is closed as dead.
public struct KeepAliveConfiguration: Sendable, Equatable {
    /// Zero disables keep-alive pings. Default 30 s.
    public var interval: Duration
    public var timeout: Duration

    public init(interval: Duration = .seconds(30), timeout: Duration = .seconds(10)) {
        self.interval = interval
        self.timeout = timeout
    }
}

/// TLS towards upstream endpoints.
public struct UpstreamTLSConfiguration: Sendable, Equatable {
    /// PEM bundle of CAs that sign the endpoints' certificates. Nil: the system trust store.
    public var caFile: String?
    /// Client certificate and key (PEM) for mutual TLS. Both or neither.
    public var certificateFile: String?
    public var privateKeyFile: String?
    /// SNI and verified name. Nil: the endpoint's host.
    public var serverName: String?

    public init(caFile: String? = nil, certificateFile: String? = nil, privateKeyFile: String? = nil, serverName: String? = nil) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.serverName = serverName
    }
}
