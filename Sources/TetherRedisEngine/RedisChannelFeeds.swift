import Logging
import Metrics
import Synchronization
import TetherCore
import TetherProtocol
import TetherRedis

/// One broker's delivery state per subscribed channel, between its pub/sub connection and its sink.
///
/// Contract:
/// - Publications of a channel reach the sink in offset order, each once: one that is not newer than the
///   last delivered one of the same epoch is dropped; one of another epoch is delivered (the node tells its
///   clients to resync).
/// - While the pub/sub connection is down, messages are lost by Redis; from the moment the loss is reported
///   every feed holds live messages (the new connection may deliver some before it reports `connected`),
///   and once it is back each feed reads the stream from its last delivered offset, then delivers the read
///   entries and the held messages through the same de-duplication. A feed whose catch-up
///   read fails delivers what it holds and the sink gets ``BrokerEvent/interrupted``.
/// - The sink is called with this object's lock held (so two paths never interleave a channel's events);
///   it must not block or call back into the broker synchronously.
final class RedisChannelFeeds: Sendable {
    private struct Feed {
        var epoch: String?
        /// Last delivered offset in `epoch`, or the channel's offset when it was subscribed.
        var offset: UInt64 = 0
        /// Live publications held while catching up.
        var held: [(epoch: String, publication: Publication)]?
    }

    private struct State {
        var feeds: [String: Feed] = [:]
        var closed = false
        /// The pub/sub connection was lost since the last catch-up.
        var interrupted = false
        /// Counts losses: a catch-up started before a newer loss leaves the release to the newer one.
        var generation = 0
    }

    /// Most entries one catch-up reads per channel.
    static let catchUpLimit = 10_000
    private static let catchUpBatch = 1_000
    /// Channels caught up at the same time.
    private static let catchUpParallelism = 16
    /// Most live publications a feed holds while it waits for its catch-up; beyond, it drops them (they
    /// are in the stream, and the node announces any hole as a gap).
    static let holdLimit = 10_000

    struct Metrics: Sendable {
        let reconnects: Counter
        let caughtUp: Counter

        init(node: String, factory: any MetricsFactory) {
            self.reconnects = Counter(label: "tether_redis_pubsub_reconnects_total", dimensions: [("node", node)], factory: factory)
            self.caughtUp = Counter(label: "tether_redis_caught_up_publications_total", dimensions: [("node", node)], factory: factory)
        }
    }

    private let sink: any BrokerEventSink
    private let calls: RedisCalls
    private let keys: RedisKeys
    private let logger: Logger
    private let metrics: Metrics
    private let state = Mutex(State())

    init(sink: any BrokerEventSink, calls: RedisCalls, keys: RedisKeys, logger: Logger, metrics: Metrics) {
        self.sink = sink
        self.calls = calls
        self.keys = keys
        self.logger = logger
        self.metrics = metrics
    }

    /// Starts accepting the channel's messages (call before subscribing to its events).
    func add(_ channel: String) {
        self.state.withLock { state in
            // While the connection is down, a new feed holds too: it is caught up with the others.
            if state.feeds[channel] == nil { state.feeds[channel] = Feed(held: state.interrupted ? [] : nil) }
        }
    }

    /// The channel's position when it was subscribed: where a catch-up starts if nothing was delivered.
    func setFloor(_ channel: String, epoch: String, offset: UInt64) {
        self.state.withLock { state in
            guard var feed = state.feeds[channel], feed.epoch == nil else { return }
            feed.epoch = epoch
            feed.offset = offset
            state.feeds[channel] = feed
        }
    }

    func remove(_ channel: String) {
        _ = self.state.withLock { $0.feeds.removeValue(forKey: channel) }
    }

    /// Stops every delivery.
    func close() {
        self.state.withLock { state in
            state.closed = true
            state.feeds = [:]
        }
    }

    /// A message from the pub/sub connection (its event loop, in Redis order).
    func receive(_ message: RedisPubSubMessage) {
        let bytes = message.payload.readableBytesView
        if message.channel == self.keys.control {
            guard case .control(let control)? = RedisEventMessage(bytes) else { return self.malformed(message.channel) }
            self.state.withLock { state in
                if !state.closed { self.sink.receive(.control(control)) }
            }
            return
        }
        guard let channel = self.keys.channel(fromEvents: message.channel), let event = RedisEventMessage(bytes) else {
            return self.malformed(message.channel)
        }
        self.state.withLock { state in
            guard !state.closed, var feed = state.feeds[channel] else { return }
            switch event {
            case .publication(let epoch, let publication):
                if feed.held != nil {
                    if feed.held!.count < Self.holdLimit { feed.held!.append((epoch, publication)) }
                } else {
                    self.deliver(&feed, channel: channel, epoch: epoch, publication: publication)
                }
                state.feeds[channel] = feed
            case .presence(let presence):
                self.sink.receive(.presence(channel: channel, presence))
            case .control:
                self.malformed(message.channel)
            }
        }
    }

    /// The pub/sub connection's state: after a loss and reconnect, catches every feed up.
    func connectionChanged(_ event: RedisSubscriber.ConnectionEvent) {
        switch event {
        case .disconnected(let error):
            let first = self.state.withLock { state -> Bool in
                defer { state.interrupted = true }
                state.generation += 1
                // Hold from now on: the new connection may deliver messages before it reports `connected`,
                // and none may overtake what the catch-up reads.
                for channel in state.feeds.keys where state.feeds[channel]?.held == nil { state.feeds[channel]?.held = [] }
                return !state.interrupted
            }
            if first { self.logger.warning("redis pub/sub connection lost; reconnecting", metadata: ["error": "\(error)"]) }
        case .connected:
            let work = self.state.withLock { state -> (channels: [String], generation: Int)? in
                guard state.interrupted, !state.closed else { return nil }
                state.interrupted = false
                for channel in state.feeds.keys where state.feeds[channel]?.held == nil { state.feeds[channel]?.held = [] }
                return (Array(state.feeds.keys), state.generation)
            }
            guard let work else { return }  // the first connect, or closed
            self.metrics.reconnects.increment()
            guard !work.channels.isEmpty else { return }
            self.logger.info("redis pub/sub connection back; catching up", metadata: ["channels": "\(work.channels.count)"])
            Task {
                var complete = true
                for start in stride(from: 0, to: work.channels.count, by: Self.catchUpParallelism) {
                    let slice = work.channels[start..<min(start + Self.catchUpParallelism, work.channels.count)]
                    complete = await withTaskGroup(of: Bool.self) { group in
                        for channel in slice { group.addTask { await self.catchUp(channel, generation: work.generation) } }
                        return await group.reduce(complete) { $0 && $1 }
                    }
                }
                if !complete { self.state.withLock { state in if !state.closed { self.sink.receive(.interrupted) } } }
            }
        }
    }

    /// Reads what `channel` missed, then releases the held messages (unless a newer loss happened since
    /// `generation`: the newer catch-up releases them). Returns false if something may be missing: the read
    /// failed, hit its limit, or the stream no longer held the first missed publication.
    private func catchUp(_ channel: String, generation: Int) async -> Bool {
        var (epoch, after) = self.state.withLock { ($0.feeds[channel]?.epoch, $0.feeds[channel]?.offset ?? 0) }
        var read: [(String, Publication)] = []
        var succeeded = true
        do {
            var reads = 0
            while read.count < Self.catchUpLimit, reads < Self.catchUpLimit / Self.catchUpBatch + 2 {
                reads += 1
                let batch = try await self.readStream(channel, after: after, limit: Self.catchUpBatch)
                guard let batchEpoch = batch.epoch else { break }
                if let known = epoch, known != batchEpoch, after > 0 {
                    // Redis lost the channel (restart without persistence): read the new epoch from its start.
                    epoch = batchEpoch
                    after = 0
                    continue
                }
                epoch = batchEpoch
                if read.isEmpty, let first = batch.publications.first, first.offset > after + 1 {
                    succeeded = false  // trimmed before it could be read: the node announces the hole
                }
                read.append(contentsOf: batch.publications.map { (batchEpoch, $0) })
                guard batch.publications.count == Self.catchUpBatch, let last = batch.publications.last else { break }
                after = last.offset
                if read.count >= Self.catchUpLimit { succeeded = false }
            }
        } catch {
            self.logger.warning("catching up \(channel) after a pub/sub reconnect failed", metadata: ["error": "\(error)"])
            succeeded = false
        }
        self.state.withLock { state in
            guard !state.closed, state.generation == generation, var feed = state.feeds[channel] else { return }
            var caughtUp = 0
            for (epoch, publication) in read where self.deliver(&feed, channel: channel, epoch: epoch, publication: publication) {
                caughtUp += 1
            }
            for (epoch, publication) in feed.held ?? [] {
                self.deliver(&feed, channel: channel, epoch: epoch, publication: publication)
            }
            self.metrics.caughtUp.increment(by: caughtUp)
            feed.held = nil
            state.feeds[channel] = feed
        }
        return succeeded
    }

    private func readStream(_ channel: String, after: UInt64, limit: Int) async throws -> (epoch: String?, publications: [Publication]) {
        let reply = try await self.calls.run(RedisEngineScripts.catchUp, keys: [self.keys.meta(channel), self.keys.stream(channel)], args: [
            .string(String(after)), .int(limit),
        ])
        guard let parts = reply.array, parts.count == 3 else { throw EngineError.internalError("redis: unexpected catch-up reply") }
        return (parts[0].string, try RedisBroker.publications(parts[2]))
    }

    /// Delivers unless it is not newer than what the feed delivered; returns whether it did.
    @discardableResult
    private func deliver(_ feed: inout Feed, channel: String, epoch: String, publication: Publication) -> Bool {
        if feed.epoch == epoch, publication.offset <= feed.offset { return false }
        feed.epoch = epoch
        feed.offset = publication.offset
        self.sink.receive(.publication(channel: channel, epoch: epoch, publication))
        return true
    }

    private func malformed(_ channel: String) {
        self.logger.warning("ignoring a malformed message on \(channel)")
    }
}
