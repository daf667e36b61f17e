import TetherCore
import TetherRedis

/// Sessions as Redis strings (the record's JSON) that expire `ttl` after the last save.
final class RedisSessionStore: SessionStore {
    private let calls: RedisCalls
    private let keys: RedisKeys

    init(calls: RedisCalls, keys: RedisKeys) {
        self.calls = calls
        self.keys = keys
    }

    func save(_ record: SessionRecord, ttl: Duration) async throws {
        _ = try await self.calls.send(RESPCommand(
            "SET", .string(self.keys.session(record.id)), .string(RedisRecordCoding.encode(record)), "PX", .int(RedisEngine.milliseconds(ttl))
        ))
    }

    func load(_ id: String) async throws -> SessionRecord? {
        let reply = try await self.calls.send(RESPCommand("GET", .string(self.keys.session(id))))
        guard let text = reply.string else { return nil }
        guard let record = RedisRecordCoding.sessionRecord(text) else {
            throw EngineError.internalError("redis: unreadable session record \(id)")
        }
        return record
    }

    func delete(_ id: String) async throws {
        _ = try await self.calls.send(RESPCommand("DEL", .string(self.keys.session(id))))
    }
}
