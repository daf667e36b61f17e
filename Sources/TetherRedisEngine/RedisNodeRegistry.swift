import TetherCore
import TetherRedis

/// The node registry as a hash (name → NodeInfo JSON) and a sorted set of heartbeat expiries (Redis
/// time); listing drops the nodes whose heartbeat ran out.
final class RedisNodeRegistry: NodeRegistry {
    private let calls: RedisCalls
    private let keys: RedisKeys

    init(calls: RedisCalls, keys: RedisKeys) {
        self.calls = calls
        self.keys = keys
    }

    func heartbeat(_ info: NodeInfo, ttl: Duration) async throws {
        _ = try await self.calls.run(RedisEngineScripts.nodeHeartbeat, keys: [self.keys.nodes, self.keys.nodeLeases], args: [
            .string(info.name), .string(RedisRecordCoding.encode(info)), .int(RedisEngine.milliseconds(ttl)),
        ])
    }

    func remove(node: String) async throws {
        _ = try await self.calls.send(RESPCommand("HDEL", .string(self.keys.nodes), .string(node)))
        _ = try await self.calls.send(RESPCommand("ZREM", .string(self.keys.nodeLeases), .string(node)))
    }

    func nodes() async throws -> [NodeInfo] {
        let reply = try await self.calls.run(RedisEngineScripts.nodeList, keys: [self.keys.nodes, self.keys.nodeLeases], args: [])
        return (reply.array ?? []).compactMap { $0.string.flatMap(RedisRecordCoding.nodeInfo) }
    }
}
