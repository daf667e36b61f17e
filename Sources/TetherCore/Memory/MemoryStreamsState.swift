import TetherProtocol

/// Everything ``MemoryStreams`` guards with its lock: channel state, the expiry schedule,
/// subscriptions and attached brokers. Every method runs with the lock held and takes the current
/// time from its caller.
///
/// Expiry: an expired channel (metadata past `metaExpiresAt`), publication or idempotency key is
/// dropped when the channel is next touched, and in any case by the amortised sweep: each channel has
/// one current entry in `schedule` at its next deadline, and every engine call pops up to
/// `limits.sweepBatch` due entries, freeing what expired and rescheduling the rest. So memory of
/// expired state is reclaimed at the rate of engine calls, with bounded work per call and no
/// background task; an engine nobody calls keeps its (bounded) state until the next call.
struct MemoryStreamsState {
    private struct Attachment {
        let node: String
        let sink: any BrokerEventSink
        var channels: Set<String> = []
    }

    private let limits: MemoryEngine.Limits
    private var channels: [String: MemoryChannel] = [:]
    private var schedule = MemoryExpiryHeap<String>()
    private var subscribers: [String: [UInt64: any BrokerEventSink]] = [:]
    private var attachments: [UInt64: Attachment] = [:]
    private var nextBrokerID: UInt64 = 0

    init(limits: MemoryEngine.Limits) {
        self.limits = limits
    }

    // MARK: Statistics (tests)

    var channelCount: Int { self.channels.count }

    func idempotencyKeyCount(channel: String) -> Int {
        self.channels[channel]?.keys.count ?? 0
    }

    func heldPublicationCount(channel: String) -> Int {
        self.channels[channel]?.history.count ?? 0
    }

    // MARK: Brokers

    mutating func attach(node: String, sink: any BrokerEventSink) -> UInt64 {
        self.nextBrokerID += 1
        self.attachments[self.nextBrokerID] = Attachment(node: node, sink: sink)
        return self.nextBrokerID
    }

    mutating func detach(_ broker: UInt64) {
        guard let attachment = self.attachments.removeValue(forKey: broker) else { return }
        for channel in attachment.channels {
            self.removeSubscriber(broker, from: channel)
        }
    }

    mutating func subscribe(_ broker: UInt64, to channel: String, now: Int64) throws(EngineError) {
        try self.requireAttached(broker)
        self.sweep(now: now, limit: self.limits.sweepBatch)
        guard let sink = self.attachments[broker]?.sink else { return }
        self.attachments[broker]?.channels.insert(channel)
        self.subscribers[channel, default: [:]][broker] = sink
    }

    mutating func unsubscribe(_ broker: UInt64, from channel: String, now: Int64) throws(EngineError) {
        try self.requireAttached(broker)
        self.sweep(now: now, limit: self.limits.sweepBatch)
        self.attachments[broker]?.channels.remove(channel)
        self.removeSubscriber(broker, from: channel)
    }

    // MARK: Streams

    mutating func publish(_ broker: UInt64, _ request: EnginePublishRequest, now: Int64) throws(EngineError) -> EnginePublishResult {
        try self.requireAttached(broker)
        self.sweep(now: now, limit: self.limits.sweepBatch)
        let channel = try self.channelState(request.channel, now: now)
        defer { self.reschedule(request.channel, channel) }
        channel.metaExpiresAt = MemoryDeadline.after(request.options.metaTTL, from: now)
        if let key = request.idempotencyKey, let first = channel.lookupKey(key, now: now) {
            return EnginePublishResult(position: first, duplicate: true)
        }
        let publication = channel.append(data: request.data, info: request.info, options: request.options, now: now)
        let position = channel.position
        if let key = request.idempotencyKey {
            let expiresAt = MemoryDeadline.after(request.options.idempotencyWindow, from: now)
            if expiresAt > now {
                channel.recordKey(key, position: position, expiresAt: expiresAt, limit: self.limits.maxIdempotencyKeysPerChannel)
            }
        }
        if let sinks = self.subscribers[request.channel] {
            let event = BrokerEvent.publication(channel: request.channel, epoch: channel.epoch, publication)
            for sink in sinks.values {
                sink.receive(event)
            }
        }
        return EnginePublishResult(position: position)
    }

    mutating func history(_ broker: UInt64, _ request: EngineHistoryRequest, now: Int64) throws(EngineError) -> EngineHistoryResult {
        try self.requireAttached(broker)
        self.sweep(now: now, limit: self.limits.sweepBatch)
        let channel = try self.channelState(request.channel, now: now)
        defer { self.reschedule(request.channel, channel) }
        channel.metaExpiresAt = MemoryDeadline.after(request.options.metaTTL, from: now)
        return EngineHistoryResult(
            position: channel.position,
            publications: channel.publications(after: request.after, limit: request.limit)
        )
    }

    // MARK: Events without state

    mutating func publishPresence(_ broker: UInt64, _ event: PresenceEvent, channel: String, now: Int64) throws(EngineError) {
        try self.requireAttached(broker)
        self.sweep(now: now, limit: self.limits.sweepBatch)
        guard let sinks = self.subscribers[channel] else { return }
        let event = BrokerEvent.presence(channel: channel, event)
        for sink in sinks.values {
            sink.receive(event)
        }
    }

    mutating func publishControl(_ broker: UInt64, _ message: RawJSON, now: Int64) throws(EngineError) {
        try self.requireAttached(broker)
        self.sweep(now: now, limit: self.limits.sweepBatch)
        let event = BrokerEvent.control(message)
        for attachment in self.attachments.values {
            attachment.sink.receive(event)
        }
    }

    // MARK: Expiry

    /// Looks at up to `limit` due schedule entries (see the type's comment).
    mutating func sweep(now: Int64, limit: Int) {
        var looked = 0
        while looked < limit, let (deadline, name) = self.schedule.popDue(now: now) {
            looked += 1
            guard let channel = self.channels[name], channel.scheduledAt == deadline else { continue }
            channel.scheduledAt = .max
            if channel.metaExpiresAt <= now {
                self.channels.removeValue(forKey: name)
            } else {
                channel.dropExpired(now: now)
                self.reschedule(name, channel)
            }
        }
    }

    // MARK: Private

    private func requireAttached(_ broker: UInt64) throws(EngineError) {
        guard self.attachments[broker] != nil else {
            throw EngineError.unavailable("the broker is closed")
        }
    }

    private mutating func removeSubscriber(_ broker: UInt64, from channel: String) {
        guard var sinks = self.subscribers[channel] else { return }
        sinks.removeValue(forKey: broker)
        self.subscribers[channel] = sinks.isEmpty ? nil : sinks
    }

    /// The live state of `name`, created (new epoch, offset 0) when it has none or its metadata
    /// expired. Throws `unavailable` when creating it would exceed `maxChannels`.
    private mutating func channelState(_ name: String, now: Int64) throws(EngineError) -> MemoryChannel {
        if let channel = self.channels[name] {
            if channel.metaExpiresAt > now {
                channel.dropExpired(now: now)
                return channel
            }
            self.channels.removeValue(forKey: name)
        }
        if self.channels.count >= self.limits.maxChannels {
            self.sweep(now: now, limit: .max)
            guard self.channels.count < self.limits.maxChannels else {
                throw EngineError.unavailable("the memory engine holds its maximum of \(self.limits.maxChannels) channels")
            }
        }
        let channel = MemoryChannel(epoch: EngineEpoch.make(), metaExpiresAt: now)
        self.channels[name] = channel
        return channel
    }

    /// Keeps the invariant: a channel's current schedule entry is no later than its next deadline.
    private mutating func reschedule(_ name: String, _ channel: MemoryChannel) {
        let next = channel.nextDeadline
        if next < channel.scheduledAt {
            channel.scheduledAt = next
            self.schedule.push(deadline: next, key: name)
        }
    }
}
