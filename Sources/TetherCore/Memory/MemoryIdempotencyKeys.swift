import TetherProtocol

/// The idempotency keys one channel remembers: key → the position its first publish got.
///
/// Bounds: a key is remembered until its window ends (checked on every lookup; expired keys are
/// dropped from the oldest end by ``dropExpired(now:)``), and at most `limit` keys are held: recording
/// one more first evicts the oldest recorded key, even if its window has not ended. Memory is
/// O(held keys).
struct MemoryIdempotencyKeys {
    private struct Entry {
        var position: StreamPosition
        var expiresAt: Int64
        var sequence: UInt64
    }

    private struct Recorded {
        var key: String
        var sequence: UInt64
        var expiresAt: Int64
    }

    private var entries: [String: Entry] = [:]
    /// Keys in recording order. An element is stale when its key was recorded again since (its
    /// sequence no longer matches); the front element is never stale.
    private var order = MemoryQueue<Recorded>()
    private var nextSequence: UInt64 = 0

    var count: Int { self.entries.count }

    /// When the oldest held key expires (nil when none is held).
    var nextExpiry: Int64? { self.order.first?.expiresAt }

    /// The first result for `key`, if it was recorded and its window has not ended.
    func lookup(_ key: String, now: Int64) -> StreamPosition? {
        guard let entry = self.entries[key], entry.expiresAt > now else { return nil }
        return entry.position
    }

    mutating func record(_ key: String, position: StreamPosition, expiresAt: Int64, limit: Int) {
        guard limit > 0 else { return }
        self.entries.removeValue(forKey: key)
        while self.entries.count >= limit, let oldest = self.order.first {
            self.order.removeFirst()
            if self.entries[oldest.key]?.sequence == oldest.sequence {
                self.entries.removeValue(forKey: oldest.key)
            }
        }
        self.nextSequence += 1
        self.entries[key] = Entry(position: position, expiresAt: expiresAt, sequence: self.nextSequence)
        self.order.append(Recorded(key: key, sequence: self.nextSequence, expiresAt: expiresAt))
        self.dropStaleFront()
        if self.order.count > 2 * self.entries.count + 64 {
            let entries = self.entries
            self.order.filter { entries[$0.key]?.sequence == $0.sequence }
        }
    }

    /// Forgets the keys at the oldest end whose window has ended. (Windows are normally the same for
    /// every publish of a channel, so recording order is expiry order; a key recorded with a shorter
    /// window than an older one is forgotten by `lookup` on time and freed here once the older goes.)
    mutating func dropExpired(now: Int64) {
        while let oldest = self.order.first, oldest.expiresAt <= now {
            self.order.removeFirst()
            if self.entries[oldest.key]?.sequence == oldest.sequence {
                self.entries.removeValue(forKey: oldest.key)
            }
            self.dropStaleFront()
        }
    }

    private mutating func dropStaleFront() {
        while let oldest = self.order.first, self.entries[oldest.key]?.sequence != oldest.sequence {
            self.order.removeFirst()
        }
    }
}
