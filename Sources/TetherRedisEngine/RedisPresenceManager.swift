import TetherCore
import TetherProtocol
import TetherRedis

/// Presence as leases in Redis: per channel a hash (client → ClientInfo JSON) and a sorted set (client →
/// lease expiry in Redis time). Every call is one script, so `expire` hands each expired entry to exactly
/// one caller. Both keys expire a few leases after the last add or renewal, so a channel whose every node
/// vanished leaves nothing behind.
final class RedisPresenceManager: PresenceManager {
    private let calls: RedisCalls
    private let keys: RedisKeys

    init(calls: RedisCalls, keys: RedisKeys) {
        self.calls = calls
        self.keys = keys
    }

    private func channelKeys(_ channel: String) -> [String] {
        [self.keys.presence(channel), self.keys.presenceLeases(channel)]
    }

    /// How long the keys outlive the last add or renewal: long enough for a surviving node's maintenance
    /// to expire (and announce) the entries first.
    private static func keyTTL(_ lease: Duration) -> Int {
        RedisEngine.milliseconds(lease * 4)
    }

    func add(channel: String, info: ClientInfo, lease: Duration) async throws -> Bool {
        let reply = try await self.calls.run(RedisEngineScripts.presenceAdd, keys: self.channelKeys(channel), args: [
            .string(info.client), .string(info.encoded()), .int(RedisEngine.milliseconds(lease)), .int(Self.keyTTL(lease)),
        ])
        return reply.int == 1
    }

    func renew(channel: String, clients: [String], lease: Duration) async throws {
        guard !clients.isEmpty else { return }
        _ = try await self.calls.run(RedisEngineScripts.presenceRenew, keys: self.channelKeys(channel),
            args: [.int(RedisEngine.milliseconds(lease)), .int(Self.keyTTL(lease))] + clients.map { .string($0) }
        )
    }

    func remove(channel: String, client: String) async throws -> Bool {
        let reply = try await self.calls.run(RedisEngineScripts.presenceRemove, keys: self.channelKeys(channel), args: [.string(client)])
        return reply.int == 1
    }

    func list(channel: String) async throws -> [ClientInfo] {
        let reply = try await self.calls.run(RedisEngineScripts.presenceList, keys: self.channelKeys(channel), args: [])
        return Self.infos(reply)
    }

    func stats(channel: String) async throws -> PresenceStats {
        let infos = try await self.list(channel: channel)
        return PresenceStats(clients: infos.count, users: Set(infos.map(\.user)).count)
    }

    func expire(channel: String) async throws -> [ClientInfo] {
        let reply = try await self.calls.run(RedisEngineScripts.presenceExpire, keys: self.channelKeys(channel), args: [])
        return Self.infos(reply)
    }

    private static func infos(_ reply: RESPValue) -> [ClientInfo] {
        (reply.array ?? []).compactMap { $0.string.flatMap(RedisRecordCoding.clientInfo) }
    }
}
