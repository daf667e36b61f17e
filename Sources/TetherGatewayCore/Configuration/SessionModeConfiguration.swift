/// How a cluster carries the sessions of its `mode: session` routes (see DESIGN.md "Session mode"): the
/// gateway speaks the Tether protocol on both sides and moves a client's session between endpoints without
/// closing the client's WebSocket.
public struct SessionModeConfiguration: Sendable, Equatable {
    /// Sessions moved per second, cluster-wide, when an endpoint is drained or a rebalance runs. Default 50.
    public var migrationRate: Double
    /// After endpoints are added (or come back), move sessions off endpoints holding more than
    /// `balanceFactor` × the average, at `migrationRate`, until none does. Default false (opt-in).
    public var rebalance: Bool
    /// How long a session may look for a new endpoint after losing its own; past it, the client is closed
    /// with 1013 (try again later, a reconnect code) and resumes by itself. Default 10 s.
    public var rebindTimeout: Duration
    /// Requests in flight per session (sent to the node, not yet answered), or the client is closed with 3003
    /// (a reconnect code). Default 1,000.
    public var maxInFlight: Int
    /// Bytes of client commands held while a session re-binds, and bytes waiting to be written to a slow
    /// client, or the client is closed with 3003 (a reconnect code). Default 1 MiB.
    public var maxBufferedBytes: Int

    public init(
        migrationRate: Double = 50,
        rebalance: Bool = false,
        rebindTimeout: Duration = .seconds(10),
        maxInFlight: Int = 1_000,
        maxBufferedBytes: Int = 1 << 20
    ) {
        self.migrationRate = migrationRate
        self.rebalance = rebalance
        self.rebindTimeout = rebindTimeout
        self.maxInFlight = maxInFlight
        self.maxBufferedBytes = maxBufferedBytes
    }
}
