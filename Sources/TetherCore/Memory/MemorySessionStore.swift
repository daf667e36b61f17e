import Synchronization

/// Sessions for a ``MemoryEngine``, behind one lock. A record is returned until `ttl` after its last
/// `save`; expired records are freed when loaded and by the amortised sweep (every call looks at up
/// to `limits.sweepBatch` due records). At most `limits.maxSessions` records are held.
final class MemorySessionStore: SessionStore {
    private let state = Mutex(MemoryExpiringMap<String, SessionRecord>())
    private let clock: any EngineClock
    private let limits: MemoryEngine.Limits

    init(clock: any EngineClock, limits: MemoryEngine.Limits) {
        self.clock = clock
        self.limits = limits
    }

    var recordCount: Int { self.state.withLock { $0.count } }

    func save(_ record: SessionRecord, ttl: Duration) async throws {
        let now = self.clock.now()
        let expiresAt = MemoryDeadline.after(ttl, from: now)
        let maxSessions = self.limits.maxSessions
        let batch = self.limits.sweepBatch
        try self.state.withLock { (records) throws(EngineError) in
            _ = records.sweep(now: now, limit: batch)
            if records.value(forKey: record.id, now: now) == nil, records.count >= maxSessions {
                _ = records.sweep(now: now, limit: .max)
                guard records.count < maxSessions else {
                    throw EngineError.unavailable("the memory engine holds its maximum of \(maxSessions) sessions")
                }
            }
            records.set(record, forKey: record.id, expiresAt: expiresAt)
        }
    }

    func load(_ id: String) async throws -> SessionRecord? {
        let now = self.clock.now()
        let batch = self.limits.sweepBatch
        return self.state.withLock { records in
            _ = records.sweep(now: now, limit: batch)
            guard let record = records.value(forKey: id, now: now) else {
                records.removeValue(forKey: id, now: now)
                return nil
            }
            return record
        }
    }

    func delete(_ id: String) async throws {
        let now = self.clock.now()
        let batch = self.limits.sweepBatch
        self.state.withLock { records in
            _ = records.sweep(now: now, limit: batch)
            records.removeValue(forKey: id, now: now)
        }
    }
}
