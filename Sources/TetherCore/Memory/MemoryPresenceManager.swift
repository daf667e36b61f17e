import Synchronization
import TetherProtocol

/// Presence for a ``MemoryEngine``: leases per (channel, client) behind one lock.
///
/// An entry is *held* from `add` until `remove`, until `expire` returns it, or until the sweep frees
/// it `limits.presenceRetention` after its lease ran out. Only entries whose lease has not run out
/// are listed and counted. `add` reports "new" only when no entry was held (an entry whose lease ran
/// out but that no `expire` has returned yet is replaced silently: its leave was never announced, so
/// no second join is either); `renew` extends held entries; `remove` returns true for a held entry.
/// `expire` runs under the lock, so each expired entry goes to exactly one caller, provided one calls
/// within the retention; after that the sweep drops it and nobody announces its leave.
/// Amortised sweep: every call looks at up to `limits.sweepBatch` due entries.
final class MemoryPresenceManager: PresenceManager {
    private struct Key: Hashable {
        var channel: String
        var client: String
    }

    private struct Entry {
        var info: ClientInfo
        var leaseEnd: Int64
    }

    private struct State {
        var entries = MemoryExpiringMap<Key, Entry>()
        var clientsByChannel: [String: Set<String>] = [:]

        mutating func sweep(now: Int64, limit: Int) {
            for (key, _) in self.entries.sweep(now: now, limit: limit) {
                self.forget(key)
            }
        }

        mutating func forget(_ key: Key) {
            guard var clients = self.clientsByChannel[key.channel] else { return }
            clients.remove(key.client)
            self.clientsByChannel[key.channel] = clients.isEmpty ? nil : clients
        }

        func held(channel: String, now: Int64) -> [(key: Key, entry: Entry)] {
            guard let clients = self.clientsByChannel[channel] else { return [] }
            return clients.compactMap { client in
                let key = Key(channel: channel, client: client)
                return self.entries.value(forKey: key, now: now).map { (key, $0) }
            }
        }
    }

    private let state = Mutex(State())
    private let clock: any EngineClock
    private let limits: MemoryEngine.Limits

    init(clock: any EngineClock, limits: MemoryEngine.Limits) {
        self.clock = clock
        self.limits = limits
    }

    var entryCount: Int { self.state.withLock { $0.entries.count } }

    func add(channel: String, info: ClientInfo, lease: Duration) async throws -> Bool {
        let now = self.clock.now()
        let leaseEnd = MemoryDeadline.after(lease, from: now)
        let heldUntil = MemoryDeadline.after(self.limits.presenceRetention, from: leaseEnd)
        let maxEntries = self.limits.maxPresenceEntries
        let batch = self.limits.sweepBatch
        return try self.state.withLock { (state) throws(EngineError) -> Bool in
            state.sweep(now: now, limit: batch)
            let key = Key(channel: channel, client: info.client)
            let wasHeld = state.entries.value(forKey: key, now: now) != nil
            if !wasHeld, state.entries.count >= maxEntries {
                state.sweep(now: now, limit: .max)
                guard state.entries.count < maxEntries else {
                    throw EngineError.unavailable("the memory engine holds its maximum of \(maxEntries) presence entries")
                }
            }
            state.entries.set(Entry(info: info, leaseEnd: leaseEnd), forKey: key, expiresAt: heldUntil)
            state.clientsByChannel[channel, default: []].insert(info.client)
            return !wasHeld
        }
    }

    func renew(channel: String, clients: [String], lease: Duration) async throws {
        let now = self.clock.now()
        let leaseEnd = MemoryDeadline.after(lease, from: now)
        let heldUntil = MemoryDeadline.after(self.limits.presenceRetention, from: leaseEnd)
        let batch = self.limits.sweepBatch
        self.state.withLock { state in
            state.sweep(now: now, limit: batch)
            for client in clients {
                let key = Key(channel: channel, client: client)
                guard var entry = state.entries.value(forKey: key, now: now) else { continue }
                entry.leaseEnd = leaseEnd
                state.entries.set(entry, forKey: key, expiresAt: heldUntil)
            }
        }
    }

    func remove(channel: String, client: String) async throws -> Bool {
        let now = self.clock.now()
        let batch = self.limits.sweepBatch
        return self.state.withLock { state in
            state.sweep(now: now, limit: batch)
            let key = Key(channel: channel, client: client)
            let removed = state.entries.removeValue(forKey: key, now: now) != nil
            state.forget(key)
            return removed
        }
    }

    func list(channel: String) async throws -> [ClientInfo] {
        let now = self.clock.now()
        let batch = self.limits.sweepBatch
        return self.state.withLock { state in
            state.sweep(now: now, limit: batch)
            return state.held(channel: channel, now: now).compactMap { $0.entry.leaseEnd > now ? $0.entry.info : nil }
        }
    }

    func stats(channel: String) async throws -> PresenceStats {
        let now = self.clock.now()
        let batch = self.limits.sweepBatch
        return self.state.withLock { state in
            state.sweep(now: now, limit: batch)
            var clients = 0
            var users = Set<String>()
            for (_, entry) in state.held(channel: channel, now: now) where entry.leaseEnd > now {
                clients += 1
                users.insert(entry.info.user)
            }
            return PresenceStats(clients: clients, users: users.count)
        }
    }

    func expire(channel: String) async throws -> [ClientInfo] {
        let now = self.clock.now()
        let batch = self.limits.sweepBatch
        return self.state.withLock { state in
            state.sweep(now: now, limit: batch)
            var expired: [ClientInfo] = []
            for (key, entry) in state.held(channel: channel, now: now) where entry.leaseEnd <= now {
                state.entries.removeValue(forKey: key, now: now)
                state.forget(key)
                expired.append(entry.info)
            }
            return expired
        }
    }
}
