/// A dictionary whose entries expire at a deadline (milliseconds on the engine clock), with an
/// amortised sweep.
///
/// An entry is *held* from `set` until it is removed: by `removeValue`, or by `sweep` once its
/// deadline has passed. Lookups never return an entry whose deadline has passed, held or not, so
/// sweeping only decides when memory is freed, never what callers see. Each entry has one current
/// schedule entry in a ``MemoryExpiryHeap``; moving a deadline later is lazy (the sweep reschedules
/// when the old deadline comes), moving it earlier pushes a new schedule entry.
struct MemoryExpiringMap<Key: Hashable, Value> {
    private struct Entry {
        var value: Value
        var expiresAt: Int64
        /// The deadline of this key's current schedule entry.
        var scheduledAt: Int64
    }

    private var entries: [Key: Entry] = [:]
    private var schedule = MemoryExpiryHeap<Key>()

    /// Held entries, expired ones not yet swept included.
    var count: Int { self.entries.count }

    /// The value for `key` if its deadline is after `now`.
    func value(forKey key: Key, now: Int64) -> Value? {
        guard let entry = self.entries[key], entry.expiresAt > now else { return nil }
        return entry.value
    }

    /// Adds or replaces the entry for `key`.
    mutating func set(_ value: Value, forKey key: Key, expiresAt: Int64) {
        if var entry = self.entries[key] {
            entry.value = value
            entry.expiresAt = expiresAt
            if expiresAt < entry.scheduledAt {
                entry.scheduledAt = expiresAt
                self.schedule.push(deadline: expiresAt, key: key)
            }
            self.entries[key] = entry
        } else {
            self.entries[key] = Entry(value: value, expiresAt: expiresAt, scheduledAt: expiresAt)
            self.schedule.push(deadline: expiresAt, key: key)
        }
    }

    /// Removes the entry for `key`, expired or not, and returns its value if its deadline was after `now`.
    @discardableResult
    mutating func removeValue(forKey key: Key, now: Int64) -> Value? {
        guard let entry = self.entries.removeValue(forKey: key), entry.expiresAt > now else { return nil }
        return entry.value
    }

    /// The values whose deadline is after `now`, in no particular order.
    func liveValues(now: Int64) -> [Value] {
        self.entries.values.compactMap { $0.expiresAt > now ? $0.value : nil }
    }

    /// Looks at up to `limit` due schedule entries: removes the entries whose deadline has passed and
    /// reschedules the ones whose deadline moved later. Returns the removed entries.
    mutating func sweep(now: Int64, limit: Int) -> [(key: Key, value: Value)] {
        var removed: [(key: Key, value: Value)] = []
        var looked = 0
        while looked < limit, let (deadline, key) = self.schedule.popDue(now: now) {
            looked += 1
            guard var entry = self.entries[key], entry.scheduledAt == deadline else { continue }
            if entry.expiresAt <= now {
                self.entries.removeValue(forKey: key)
                removed.append((key, entry.value))
            } else {
                entry.scheduledAt = entry.expiresAt
                self.schedule.push(deadline: entry.expiresAt, key: key)
                self.entries[key] = entry
            }
        }
        return removed
    }
}
