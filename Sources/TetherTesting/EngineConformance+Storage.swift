import TetherCore
import TetherProtocol

/// Sessions and the node registry (SessionStore and NodeRegistry contracts).
extension EngineConformance {
    static let storageCases: [EngineConformanceCase] = [
        EngineConformanceCase("sessions: save, load, replace and delete", sessionBasics),
        EngineConformanceCase("sessions expire ttl after their last save", sessionExpiry),
        EngineConformanceCase("node registry: heartbeat lists, a new heartbeat replaces, remove unlists", registryBasics),
        EngineConformanceCase("node registry: a node is listed until ttl after its last heartbeat", registryExpiry),
    ]

    static func sessionBasics(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 0) { engine, _ in
            let sessions = engine.sessions
            let ttl = Duration.seconds(600)
            let record = SessionRecord(id: context.name("s1"), user: "alice", subscriptions: [
                "chat:lobby": StreamPosition(offset: 41, epoch: "ab12"),
                "chat:new": StreamPosition(offset: 0, epoch: ""),
            ])
            let other = SessionRecord(id: context.name("s2"), user: "bob", subscriptions: [:])
            try await sessions.save(record, ttl: ttl)
            try await sessions.save(other, ttl: ttl)
            try expectEqual(try await sessions.load(record.id), record, "loaded record")
            try expectEqual(try await sessions.load(other.id), other, "another record")
            try expectEqual(try await sessions.load(context.name("unknown")), nil, "an unknown id")
            var changed = record
            changed.subscriptions["chat:lobby"] = StreamPosition(offset: 45, epoch: "ab12")
            changed.subscriptions["chat:new"] = nil
            try await sessions.save(changed, ttl: ttl)
            try expectEqual(try await sessions.load(record.id), changed, "a save replaces the record")
            try await sessions.delete(record.id)
            try expectEqual(try await sessions.load(record.id), nil, "a deleted record")
            try await sessions.delete(record.id)
            try expectEqual(try await sessions.load(other.id), other, "delete leaves other records")
        }
    }

    static func sessionExpiry(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 0) { engine, _ in
            let sessions = engine.sessions
            let renewed = SessionRecord(id: context.name("renewed"), user: "alice", subscriptions: [:])
            let lapsed = SessionRecord(id: context.name("lapsed"), user: "bob", subscriptions: [:])
            try await sessions.save(renewed, ttl: context.ttl)
            try await sessions.save(lapsed, ttl: context.ttl)
            try await context.waitPast(context.ttl(6, 10))
            try expectEqual(try await sessions.load(lapsed.id), lapsed, "loaded within the ttl")
            try await sessions.save(renewed, ttl: context.ttl)
            try await context.waitPast(context.ttl(6, 10))
            try expectEqual(try await sessions.load(renewed.id), renewed, "loaded within ttl of the last save")
            try expectEqual(try await sessions.load(lapsed.id), nil, "loaded after ttl (a load does not renew)")
            try await context.waitPast(context.ttl)
            try expectEqual(try await sessions.load(renewed.id), nil, "loaded after ttl of the last save")
            try await sessions.save(lapsed, ttl: context.ttl)
            try expectEqual(try await sessions.load(lapsed.id), lapsed, "saved again after it expired")
        }
    }

    static func registryBasics(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 0) { engine, _ in
            let registry = engine.registry
            let ttl = Duration.seconds(600)
            let one = conformanceNodeInfo(context.name("node-a"), clients: 3, channels: ["chat:lobby": 2])
            let two = conformanceNodeInfo(context.name("node-b"), clients: 0, channels: [:])
            try await registry.heartbeat(one, ttl: ttl)
            try await registry.heartbeat(two, ttl: ttl)
            func ours() async throws -> [NodeInfo] {
                try await registry.nodes().filter { $0.name.hasPrefix(context.prefix) }.sorted { $0.name < $1.name }
            }
            try expectEqual(try await ours(), [one, two], "nodes after heartbeats")
            var updated = one
            updated.clients = 5
            updated.updatedAt += 1000
            updated.channels = ["chat:lobby": 4, "chat:other": 1]
            try await registry.heartbeat(updated, ttl: ttl)
            try expectEqual(try await ours(), [updated, two], "a heartbeat replaces the node's info")
            try await registry.remove(node: two.name)
            try expectEqual(try await ours(), [updated], "nodes after remove")
            try await registry.remove(node: two.name)
        }
    }

    static func registryExpiry(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 0) { engine, _ in
            let registry = engine.registry
            let kept = conformanceNodeInfo(context.name("kept"), clients: 1, channels: [:])
            let lapsed = conformanceNodeInfo(context.name("lapsed"), clients: 2, channels: [:])
            func ours() async throws -> [String] {
                try await registry.nodes().map(\.name).filter { $0.hasPrefix(context.prefix) }.sorted()
            }
            try await registry.heartbeat(kept, ttl: context.ttl)
            try await registry.heartbeat(lapsed, ttl: context.ttl)
            try await context.waitPast(context.ttl(6, 10))
            try expectEqual(try await ours(), [kept.name, lapsed.name], "listed within the ttl")
            try await registry.heartbeat(kept, ttl: context.ttl)
            try await context.waitPast(context.ttl(6, 10))
            try expectEqual(try await ours(), [kept.name], "listed within ttl of the last heartbeat only")
            try await context.waitPast(context.ttl)
            try expectEqual(try await ours(), [], "listed after every ttl ran out")
        }
    }
}

func conformanceNodeInfo(_ name: String, clients: Int, channels: [String: Int]) -> NodeInfo {
    NodeInfo(
        name: name, version: "test", startedAt: 1_700_000_000_000, updatedAt: 1_700_000_001_000,
        clients: clients, users: clients, subscriptions: channels.values.reduce(0, +), channels: channels)
}
