/// The client's current connection: its transport, its outbound queue (one writer task sends in order)
/// and what the handshake established.
struct Link {
    let generation: Int
    let connection: any TetherTransportConnection
    let outbox: AsyncStream<String>.Continuation
    /// The node accepted `connect`.
    var established = false
    var lastReceived: ContinuousClock.Instant
    /// Keep-alive watchdog and token refresh, cancelled when the connection ends.
    var tasks: [Task<Void, Never>] = []
}
