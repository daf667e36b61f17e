import TetherCore
import TetherProtocol

/// Presence leases (PresenceManager contract).
extension EngineConformance {
    static let presenceCases: [EngineConformanceCase] = [
        EngineConformanceCase("presence add, replace, list, stats and remove", presenceBasics),
        EngineConformanceCase("presence entries expire after their lease unless renewed", presenceLeases),
        EngineConformanceCase("expire returns each expired entry to exactly one of two concurrent callers", presenceExpireOnce),
    ]

    static func presenceBasics(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 0) { engine, _ in
            let presence = engine.presence
            let channel = context.name("presence")
            let lease = Duration.seconds(600)
            let c1 = ClientInfo(client: context.name("c1"), user: "u1")
            let c2 = ClientInfo(client: context.name("c2"), user: "u1")
            let c3 = ClientInfo(client: context.name("c3"), user: "u2", data: RawJSON(unchecked: "{\"name\":\"Ann\"}"))
            for info in [c1, c2, c3] {
                try expect(try await presence.add(channel: channel, info: info, lease: lease), "adding \(info.client) is new")
            }
            let c1Changed = ClientInfo(client: c1.client, user: "u1", data: RawJSON(unchecked: "{\"away\":true}"))
            try expect(!(try await presence.add(channel: channel, info: c1Changed, lease: lease)), "adding a present client again is not new")
            func sortedList() async throws -> [ClientInfo] {
                try await presence.list(channel: channel).sorted { $0.client < $1.client }
            }
            try expectEqual(try await sortedList(), [c1Changed, c2, c3], "list after adds (the second add replaced the info)")
            try expectEqual(try await presence.stats(channel: channel), PresenceStats(clients: 3, users: 2), "stats after adds")
            try expect(try await presence.remove(channel: channel, client: c2.client), "removing a present client")
            try expect(!(try await presence.remove(channel: channel, client: c2.client)), "removing an absent client")
            try expectEqual(try await sortedList(), [c1Changed, c3], "list after remove")
            try expectEqual(try await presence.stats(channel: channel), PresenceStats(clients: 2, users: 2), "stats after remove")
            let other = context.name("presence-other")
            try expectEqual(try await presence.list(channel: other).count, 0, "list of another channel")
            try expectEqual(try await presence.stats(channel: other), PresenceStats(clients: 0, users: 0), "stats of another channel")
            try expect(!(try await presence.remove(channel: other, client: c1.client)), "a client is removed per channel")
            try expectEqual(try await presence.expire(channel: channel).count, 0, "expire before any lease ran out")
            try expectEqual(try await sortedList(), [c1Changed, c3], "list after an expire that found nothing")
        }
    }

    static func presenceLeases(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 0) { engine, _ in
            let presence = engine.presence
            let channel = context.name("leases")
            let kept = ClientInfo(client: context.name("kept"), user: "u1")
            let lapsed = ClientInfo(client: context.name("lapsed"), user: "u2")
            let ghost = context.name("ghost")
            _ = try await presence.add(channel: channel, info: kept, lease: context.ttl)
            _ = try await presence.add(channel: channel, info: lapsed, lease: context.ttl)
            try await context.waitPast(context.ttl(6, 10))
            try expectEqual(try await presence.list(channel: channel).count, 2, "listed within the lease")
            try await presence.renew(channel: channel, clients: [kept.client, ghost], lease: context.ttl)
            try await context.waitPast(context.ttl(6, 10))
            try expectEqual(try await presence.list(channel: channel), [kept], "listed after the other lease ran out (renew adds no absent client)")
            try expectEqual(try await presence.stats(channel: channel), PresenceStats(clients: 1, users: 1), "stats after a lease ran out")
            try expectEqual(try await presence.expire(channel: channel), [lapsed], "expire returns the lapsed entry")
            try expectEqual(try await presence.expire(channel: channel).count, 0, "a second expire returns nothing")
            try expectEqual(try await presence.list(channel: channel), [kept], "the renewed entry stays")
            try await context.waitPast(context.ttl)
            try expectEqual(try await presence.list(channel: channel).count, 0, "listed after every lease ran out")
            try expectEqual(try await presence.stats(channel: channel), PresenceStats(clients: 0, users: 0), "stats after every lease ran out")
            try expectEqual(try await presence.expire(channel: channel), [kept], "expire returns the renewed entry once its lease ran out")
            try expect(try await presence.add(channel: channel, info: lapsed, lease: context.ttl), "adding an expired-and-returned client is new")
        }
    }

    static func presenceExpireOnce(_ context: EngineConformanceContext) async throws {
        let count = 40
        try await context.withEngine(nodes: 0) { engine, _ in
            let presence = engine.presence
            let channel = context.name("expire-once")
            let clients = (0..<count).map { ClientInfo(client: context.name("client-\($0)"), user: "u\($0 % 7)") }
            for info in clients {
                _ = try await presence.add(channel: channel, info: info, lease: context.ttl)
            }
            try await context.waitPast(context.ttl)
            async let first = presence.expire(channel: channel)
            async let second = presence.expire(channel: channel)
            let (a, b) = try await (first, second)
            let returnedA = Set(a.map(\.client))
            let returnedB = Set(b.map(\.client))
            try expectEqual(a.count + b.count, count, "entries returned by the two callers together")
            try expect(returnedA.isDisjoint(with: returnedB), "no entry was returned to both callers: \(returnedA.intersection(returnedB).sorted())")
            try expectEqual(returnedA.union(returnedB), Set(clients.map(\.client)), "every expired entry was returned")
            try expectEqual(try await presence.expire(channel: channel).count, 0, "a later expire returns nothing")
        }
    }
}
