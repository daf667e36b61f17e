import Synchronization
import TetherProtocol

/// The publish/subscribe half of a ``MemoryEngine``: channel state, subscriptions and attached
/// brokers behind one lock (see ``MemoryStreamsState`` for expiry).
///
/// Ordering: every call runs under the lock, and a publication is handed to every subscribed sink
/// before the lock is released. So concurrent publishes to a channel are serialised, every sink sees
/// a channel's publications in offset order, and a subscribe, unsubscribe or close takes effect
/// between two publications (the first publication whose offset is assigned after `subscribe`
/// returned is delivered; none assigned after `close` returned is). Sinks are called with the lock
/// held: they must return quickly and must not call into the engine synchronously.
final class MemoryStreams: Sendable {
    private let state: Mutex<MemoryStreamsState>
    private let clock: any EngineClock

    init(clock: any EngineClock, limits: MemoryEngine.Limits) {
        self.clock = clock
        self.state = Mutex(MemoryStreamsState(limits: limits))
    }

    var channelCount: Int { self.state.withLock { $0.channelCount } }

    func idempotencyKeyCount(channel: String) -> Int {
        self.state.withLock { $0.idempotencyKeyCount(channel: channel) }
    }

    func heldPublicationCount(channel: String) -> Int {
        self.state.withLock { $0.heldPublicationCount(channel: channel) }
    }

    func attach(node: String, sink: any BrokerEventSink) -> UInt64 {
        self.state.withLock { $0.attach(node: node, sink: sink) }
    }

    func detach(_ broker: UInt64) {
        self.state.withLock { $0.detach(broker) }
    }

    func subscribe(_ broker: UInt64, to channel: String) throws(EngineError) {
        let now = self.clock.now()
        try self.state.withLock { (state) throws(EngineError) in
            try state.subscribe(broker, to: channel, now: now)
        }
    }

    func unsubscribe(_ broker: UInt64, from channel: String) throws(EngineError) {
        let now = self.clock.now()
        try self.state.withLock { (state) throws(EngineError) in
            try state.unsubscribe(broker, from: channel, now: now)
        }
    }

    func publish(_ broker: UInt64, _ request: EnginePublishRequest) throws(EngineError) -> EnginePublishResult {
        let now = self.clock.now()
        return try self.state.withLock { (state) throws(EngineError) in
            try state.publish(broker, request, now: now)
        }
    }

    func history(_ broker: UInt64, _ request: EngineHistoryRequest) throws(EngineError) -> EngineHistoryResult {
        let now = self.clock.now()
        return try self.state.withLock { (state) throws(EngineError) in
            try state.history(broker, request, now: now)
        }
    }

    func publishPresence(_ broker: UInt64, _ event: PresenceEvent, channel: String) throws(EngineError) {
        let now = self.clock.now()
        try self.state.withLock { (state) throws(EngineError) in
            try state.publishPresence(broker, event, channel: channel, now: now)
        }
    }

    func publishControl(_ broker: UInt64, _ message: RawJSON) throws(EngineError) {
        let now = self.clock.now()
        try self.state.withLock { (state) throws(EngineError) in
            try state.publishControl(broker, message, now: now)
        }
    }
}
