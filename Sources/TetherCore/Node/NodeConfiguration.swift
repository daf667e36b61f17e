import TetherProtocol

/// Everything one node needs to know besides its engine. Value type: validated by the command layer
/// (`tether node --check-config`) and by ``validate()`` for embedders.
public struct NodeConfiguration: Sendable {
    /// The node's name in `/api/info`, connect replies and logs. Unique within a deployment.
    public var name: String
    /// Namespaces by name; `""` is the default namespace for channels without `:`.
    public var namespaces: [String: NamespaceOptions]
    public var auth: AuthConfiguration
    public var limits: NodeLimits
    /// How long a session survives its last connection (recovery window).
    public var sessionTTL: Duration
    /// Presence lease: a vanished node's clients leave presence within this time.
    public var presenceLease: Duration
    /// WebSocket ping and `ping` push interval.
    public var pingInterval: Duration
    /// Idempotency window for publish keys.
    public var idempotencyWindow: Duration
    /// Server API keys (`Authorization: apikey <key>`); empty disables the server API.
    public var apiKeys: [String]
    /// Browser origins allowed to open connections; empty allows any (non-browser clients send none).
    public var allowedOrigins: [String]
    /// How long shutdown spreads its `3001` disconnects (clients reconnect elsewhere, not all at once).
    public var shutdownDrainWindow: Duration

    public init(
        name: String,
        namespaces: [String: NamespaceOptions] = ["": NamespaceOptions()],
        auth: AuthConfiguration = AuthConfiguration(),
        limits: NodeLimits = NodeLimits(),
        sessionTTL: Duration = .seconds(120),
        presenceLease: Duration = .seconds(6),
        pingInterval: Duration = .seconds(25),
        idempotencyWindow: Duration = .seconds(300),
        apiKeys: [String] = [],
        allowedOrigins: [String] = [],
        shutdownDrainWindow: Duration = .seconds(5)
    ) {
        self.name = name
        self.namespaces = namespaces
        self.auth = auth
        self.limits = limits
        self.sessionTTL = sessionTTL
        self.presenceLease = presenceLease
        self.pingInterval = pingInterval
        self.idempotencyWindow = idempotencyWindow
        self.apiKeys = apiKeys
        self.allowedOrigins = allowedOrigins
        self.shutdownDrainWindow = shutdownDrainWindow
    }

    /// The engine's storage rules for a channel of namespace `options`.
    func channelOptions(_ options: NamespaceOptions) -> ChannelOptions {
        ChannelOptions(
            historySize: options.historySize,
            historyTTL: options.historyTTL,
            metaTTL: max(.seconds(86_400), options.historyTTL * 2),
            idempotencyWindow: self.idempotencyWindow
        )
    }
}

/// Per-connection bounds. Each refusal has its documented error or close code.
public struct NodeLimits: Sendable, Hashable {
    /// Largest inbound message (close 1009 above it).
    public var maxMessageSize: Int
    /// Largest publication `data` (error 112).
    public var maxPublicationSize: Int
    /// Subscriptions per connection (error 106).
    public var maxSubscriptionsPerConnection: Int
    /// Sustained commands per second per connection (error 110, then close 3006 at twice the burst).
    public var commandsPerSecond: Int
    /// Burst allowance on top of the sustained rate.
    public var commandBurst: Int
    /// Bytes queued for one connection before the slow-consumer policy applies.
    public var outboundQueueBytes: Int
    /// Connections per node (close 3007 above it).
    public var maxConnections: Int
    /// Time a new connection has to send `connect` (close 3005).
    public var connectTimeout: Duration
    /// Largest batched frame the node writes (several messages joined by `\n`).
    public var maxOutboundFrameSize: Int

    public init(
        maxMessageSize: Int = 65_536,
        maxPublicationSize: Int = 32_768,
        maxSubscriptionsPerConnection: Int = 128,
        commandsPerSecond: Int = 100,
        commandBurst: Int = 200,
        outboundQueueBytes: Int = 1 << 20,
        maxConnections: Int = 100_000,
        connectTimeout: Duration = .seconds(10),
        maxOutboundFrameSize: Int = 65_536
    ) {
        self.maxMessageSize = maxMessageSize
        self.maxPublicationSize = maxPublicationSize
        self.maxSubscriptionsPerConnection = maxSubscriptionsPerConnection
        self.commandsPerSecond = commandsPerSecond
        self.commandBurst = commandBurst
        self.outboundQueueBytes = outboundQueueBytes
        self.maxConnections = maxConnections
        self.connectTimeout = connectTimeout
        self.maxOutboundFrameSize = maxOutboundFrameSize
    }
}
