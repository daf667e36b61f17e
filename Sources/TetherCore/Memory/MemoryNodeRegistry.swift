import Synchronization

/// The node registry of a ``MemoryEngine``, behind one lock. A node is listed until `ttl` after its
/// last heartbeat; every call frees the entries that expired. `nodes()` is sorted by name.
final class MemoryNodeRegistry: NodeRegistry {
    private let state = Mutex(MemoryExpiringMap<String, NodeInfo>())
    private let clock: any EngineClock

    init(clock: any EngineClock) {
        self.clock = clock
    }

    func heartbeat(_ info: NodeInfo, ttl: Duration) async throws {
        let now = self.clock.now()
        let expiresAt = MemoryDeadline.after(ttl, from: now)
        self.state.withLock { nodes in
            _ = nodes.sweep(now: now, limit: .max)
            nodes.set(info, forKey: info.name, expiresAt: expiresAt)
        }
    }

    func remove(node: String) async throws {
        let now = self.clock.now()
        self.state.withLock { nodes in
            _ = nodes.sweep(now: now, limit: .max)
            nodes.removeValue(forKey: node, now: now)
        }
    }

    func nodes() async throws -> [NodeInfo] {
        let now = self.clock.now()
        return self.state.withLock { nodes in
            _ = nodes.sweep(now: now, limit: .max)
            return nodes.liveValues(now: now).sorted { $0.name < $1.name }
        }
    }
}
