import NIOSSL

/// How to reach and talk to one Redis server. Shared by ``RedisClient`` and ``RedisSubscriber``.
public struct RedisConfiguration: Sendable {
    /// Which protocol to speak.
    public enum ProtocolVersion: Sendable, Equatable {
        /// Try `HELLO 3`; if the server does not know `HELLO` or refuses version 3 (anything but an
        /// authentication error), fall back to RESP2 with separate `AUTH` and `SELECT`.
        case resp3
        /// Never send `HELLO`: RESP2 with `AUTH` and `SELECT`.
        case resp2
    }

    /// Delay between reconnect attempts: starts at `initial`, doubles after each failure, capped at `maximum`,
    /// and resets after a successful connect.
    public struct Backoff: Sendable, Equatable {
        public var initial: Duration
        public var maximum: Duration
        public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(3)) {
            self.initial = initial
            self.maximum = maximum
        }
    }

    public var host: String
    public var port: Int
    /// ACL user name; `nil` authenticates as `default` when a password is set.
    public var username: String?
    public var password: String?
    public var database: Int
    /// Connection name shown by `CLIENT LIST` (`HELLO ... SETNAME`, or `CLIENT SETNAME` on RESP2); no spaces.
    public var clientName: String?
    /// TLS for the connection when set (for example `.makeClientConfiguration()` with a custom trust root).
    public var tls: TLSConfiguration?
    /// Name checked against the certificate and sent as SNI; defaults to ``host``.
    public var serverHostname: String?
    /// TCP connect plus handshake (TLS, `HELLO`/`AUTH`/`SELECT`) must finish within this time.
    public var connectTimeout: Duration
    /// Default time a call may wait for its reply.
    public var commandTimeout: Duration
    /// Connections ``RedisClient`` opens (lazily) at most.
    public var poolSize: Int
    /// Calls in flight across the whole client before new ones fail with ``RedisError/tooManyPending``.
    public var maxPendingCommands: Int
    public var protocolVersion: ProtocolVersion
    public var reconnectBackoff: Backoff
    /// How often ``RedisSubscriber`` pings its connection; a ping not answered within ``commandTimeout``
    /// closes it (so a connection that died without closing, say behind a NAT or after a host crash, is
    /// replaced instead of leaving the subscriber deaf).
    public var pubSubPingInterval: Duration
    /// Parser bounds for replies.
    public var parserLimits: RESPParser.Limits

    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        clientName: String? = nil,
        tls: TLSConfiguration? = nil,
        serverHostname: String? = nil,
        connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration = .seconds(2),
        poolSize: Int = 4,
        maxPendingCommands: Int = 10_000,
        protocolVersion: ProtocolVersion = .resp3,
        reconnectBackoff: Backoff = Backoff(),
        pubSubPingInterval: Duration = .seconds(10),
        parserLimits: RESPParser.Limits = RESPParser.Limits()
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.clientName = clientName
        self.tls = tls
        self.serverHostname = serverHostname
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.poolSize = max(1, poolSize)
        self.maxPendingCommands = max(1, maxPendingCommands)
        self.protocolVersion = protocolVersion
        self.reconnectBackoff = reconnectBackoff
        self.pubSubPingInterval = pubSubPingInterval
        self.parserLimits = parserLimits
    }
}
