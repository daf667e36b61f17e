import TetherProtocol

/// The state the memory engine holds for one channel: its metadata (epoch, latest offset, when it
/// expires), its history and its idempotency keys. Only touched under ``MemoryStreams``' lock.
final class MemoryChannel {
    struct Held {
        var publication: Publication
        var expiresAt: Int64
    }

    let epoch: String
    private(set) var offset: UInt64 = 0
    /// The metadata expires at this time unless a publish or history read moves it.
    var metaExpiresAt: Int64
    /// Held publications, offsets contiguous and ascending; expiry times non-decreasing.
    private(set) var history = MemoryQueue<Held>()
    private(set) var keys = MemoryIdempotencyKeys()
    /// Deadline of this channel's current entry in the engine's expiry schedule (`Int64.max`: none).
    var scheduledAt = Int64.max

    init(epoch: String, metaExpiresAt: Int64) {
        self.epoch = epoch
        self.metaExpiresAt = metaExpiresAt
    }

    var position: StreamPosition { StreamPosition(offset: self.offset, epoch: self.epoch) }

    /// The earliest time something of this channel expires.
    var nextDeadline: Int64 {
        min(self.metaExpiresAt, self.history.first?.expiresAt ?? .max, self.keys.nextExpiry ?? .max)
    }

    /// Drops the publications and idempotency keys whose time has passed.
    func dropExpired(now: Int64) {
        while let oldest = self.history.first, oldest.expiresAt <= now {
            self.history.removeFirst()
        }
        self.keys.dropExpired(now: now)
    }

    /// Assigns the next offset and appends the publication to history (when `options.historySize > 0`),
    /// trimming history to that size. A publication expires no earlier than the one before it, so
    /// history stays a contiguous run of offsets even if the namespace's TTL was shortened.
    func append(data: RawJSON, info: ClientInfo?, options: ChannelOptions, now: Int64) -> Publication {
        self.offset += 1
        let publication = Publication(offset: self.offset, data: data, info: info)
        guard options.historySize > 0 else {
            self.history.removeAll()
            return publication
        }
        let expiresAt = max(MemoryDeadline.after(options.historyTTL, from: now), self.history.last?.expiresAt ?? .min)
        self.history.append(Held(publication: publication, expiresAt: expiresAt))
        while self.history.count > options.historySize {
            self.history.removeFirst()
        }
        return publication
    }

    /// Held publications with offsets after `after` (all when nil), oldest first, at most `limit`.
    func publications(after: UInt64?, limit: Int) -> [Publication] {
        guard limit > 0, let oldest = self.history.first else { return [] }
        var start = 0
        if let after, after >= oldest.publication.offset {
            let skip = after - oldest.publication.offset + 1
            guard skip < UInt64(self.history.count) else { return [] }
            start = Int(skip)
        }
        let end = start + min(limit, self.history.count - start)
        var result: [Publication] = []
        result.reserveCapacity(end - start)
        for index in start..<end {
            result.append(self.history[index].publication)
        }
        return result
    }

    func lookupKey(_ key: String, now: Int64) -> StreamPosition? {
        self.keys.lookup(key, now: now)
    }

    func recordKey(_ key: String, position: StreamPosition, expiresAt: Int64, limit: Int) {
        self.keys.record(key, position: position, expiresAt: expiresAt, limit: limit)
    }
}
