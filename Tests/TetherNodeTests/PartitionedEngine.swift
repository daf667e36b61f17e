import Synchronization
import TetherCore
import TetherProtocol

/// An engine view that can be cut off from the shared engine behind it, as a node that crashed or lost
/// its network looks to everyone else: from the cut on, every call fails with `unavailable` and no event
/// reaches the node. Its presence entries are no longer renewed, so they expire for the other nodes.
final class PartitionedEngine: Engine {
    private let base: any Engine
    let cut = Atomic<Bool>(false)

    init(_ base: any Engine) {
        self.base = base
    }

    func partition() { self.cut.store(true, ordering: .relaxed) }

    fileprivate func check() throws {
        if self.cut.load(ordering: .relaxed) { throw EngineError.unavailable("partitioned (test)") }
    }

    func makeBroker(node: String, sink: any BrokerEventSink) async throws -> any Broker {
        let gate = GatedSink(inner: sink, engine: self)
        return GatedBroker(inner: try await self.base.makeBroker(node: node, sink: gate), engine: self)
    }

    var presence: any PresenceManager { GatedPresence(inner: self.base.presence, engine: self) }
    var sessions: any SessionStore { GatedSessions(inner: self.base.sessions, engine: self) }
    var registry: any NodeRegistry { GatedRegistry(inner: self.base.registry, engine: self) }
}

private final class GatedSink: BrokerEventSink {
    let inner: any BrokerEventSink
    let engine: PartitionedEngine
    init(inner: any BrokerEventSink, engine: PartitionedEngine) {
        self.inner = inner
        self.engine = engine
    }
    func receive(_ event: BrokerEvent) {
        if (try? self.engine.check()) != nil { self.inner.receive(event) }
    }
}

private struct GatedBroker: Broker {
    let inner: any Broker
    let engine: PartitionedEngine
    func subscribe(_ channel: String) async throws { try self.engine.check(); try await self.inner.subscribe(channel) }
    func unsubscribe(_ channel: String) async throws { try self.engine.check(); try await self.inner.unsubscribe(channel) }
    func publish(_ request: EnginePublishRequest) async throws -> EnginePublishResult { try self.engine.check(); return try await self.inner.publish(request) }
    func history(_ request: EngineHistoryRequest) async throws -> EngineHistoryResult { try self.engine.check(); return try await self.inner.history(request) }
    func publishPresence(_ event: PresenceEvent, channel: String) async throws { try self.engine.check(); try await self.inner.publishPresence(event, channel: channel) }
    func publishControl(_ message: RawJSON) async throws { try self.engine.check(); try await self.inner.publishControl(message) }
    func close() async { if (try? self.engine.check()) != nil { await self.inner.close() } }
}

private struct GatedPresence: PresenceManager {
    let inner: any PresenceManager
    let engine: PartitionedEngine
    func add(channel: String, info: ClientInfo, lease: Duration) async throws -> Bool { try self.engine.check(); return try await self.inner.add(channel: channel, info: info, lease: lease) }
    func renew(channel: String, clients: [String], lease: Duration) async throws { try self.engine.check(); try await self.inner.renew(channel: channel, clients: clients, lease: lease) }
    func remove(channel: String, client: String) async throws -> Bool { try self.engine.check(); return try await self.inner.remove(channel: channel, client: client) }
    func list(channel: String) async throws -> [ClientInfo] { try self.engine.check(); return try await self.inner.list(channel: channel) }
    func stats(channel: String) async throws -> PresenceStats { try self.engine.check(); return try await self.inner.stats(channel: channel) }
    func expire(channel: String) async throws -> [ClientInfo] { try self.engine.check(); return try await self.inner.expire(channel: channel) }
}

private struct GatedSessions: SessionStore {
    let inner: any SessionStore
    let engine: PartitionedEngine
    func save(_ record: SessionRecord, ttl: Duration) async throws { try self.engine.check(); try await self.inner.save(record, ttl: ttl) }
    func load(_ id: String) async throws -> SessionRecord? { try self.engine.check(); return try await self.inner.load(id) }
    func delete(_ id: String) async throws { try self.engine.check(); try await self.inner.delete(id) }
}

private struct GatedRegistry: NodeRegistry {
    let inner: any NodeRegistry
    let engine: PartitionedEngine
    func heartbeat(_ info: NodeInfo, ttl: Duration) async throws { try self.engine.check(); try await self.inner.heartbeat(info, ttl: ttl) }
    func remove(node: String) async throws { try self.engine.check(); try await self.inner.remove(node: node) }
    func nodes() async throws -> [NodeInfo] { try self.engine.check(); return try await self.inner.nodes() }
}
