/// The embedded engine: nodes in one process share channels, presence, sessions and the node
/// registry through one `MemoryEngine` value (each node calls ``makeBroker(node:sink:)``).
///
/// Delivery is synchronous: a publication reaches every subscribed node's sink, in offset order,
/// before `publish` returns (see ``BrokerEventSink``: sinks must not block and must not call into the
/// engine synchronously). All state is in memory and bounded (``Limits``); expired state is freed
/// lazily when touched and by an amortised sweep on every call, so no background task runs. The
/// engine keeps every attached sink until its broker is closed.
///
/// Nothing survives the process: a restarted process starts new epochs for every channel.
public final class MemoryEngine: Engine {
    private let streams: MemoryStreams
    private let presenceManager: MemoryPresenceManager
    private let sessionStore: MemorySessionStore
    private let nodeRegistry: MemoryNodeRegistry

    public init(clock: any EngineClock = SystemEngineClock(), limits: Limits = Limits()) {
        self.streams = MemoryStreams(clock: clock, limits: limits)
        self.presenceManager = MemoryPresenceManager(clock: clock, limits: limits)
        self.sessionStore = MemorySessionStore(clock: clock, limits: limits)
        self.nodeRegistry = MemoryNodeRegistry(clock: clock)
    }

    public func makeBroker(node: String, sink: any BrokerEventSink) async throws -> any Broker {
        MemoryBroker(streams: self.streams, node: node, sink: sink)
    }

    public var presence: any PresenceManager { self.presenceManager }
    public var sessions: any SessionStore { self.sessionStore }
    public var registry: any NodeRegistry { self.nodeRegistry }

    // MARK: Statistics (tests and diagnostics; they neither sweep nor touch anything)

    /// Channels with state, expired ones not yet swept included.
    package var channelCount: Int { self.streams.channelCount }

    /// Idempotency keys held for `channel`, expired ones not yet dropped included.
    package func idempotencyKeyCount(channel: String) -> Int {
        self.streams.idempotencyKeyCount(channel: channel)
    }

    /// Publications held in `channel`'s history, expired ones not yet dropped included.
    package func heldPublicationCount(channel: String) -> Int {
        self.streams.heldPublicationCount(channel: channel)
    }

    /// Session records held, expired ones not yet swept included.
    package var sessionCount: Int { self.sessionStore.recordCount }

    /// Presence entries held over all channels, expired ones not yet returned or swept included.
    package var presenceEntryCount: Int { self.presenceManager.entryCount }
}
