import Logging
import NIOPosix
import TetherRedis

/// Counts the commands a Redis server served, from `INFO commandstats`, for `tether bench fanout --redis`:
/// the difference of two snapshots around the measurement gives the engine's round trips per publication.
struct NodeBenchRedisProbe: Sendable {
    /// Commands that the engine runs only inside its scripts: Redis counts each call, but none is a round
    /// trip. (`publish`, `get`, `set` and `del` are also sent directly, for presence, control and sessions;
    /// a fan-out benchmark sends none of those.)
    static let scriptInternal: Set<String> = [
        "time", "hget", "hset", "hincrby", "hmget", "hdel", "hvals", "pexpire", "xadd", "xrange", "del", "get", "set",
        "zscore", "zadd", "zrem", "zrangebyscore", "publish", "spublish",
    ]

    private let client: RedisClient

    /// `address` is `host:port` of a loopback Redis.
    init(address: String) throws {
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]), (1...65535).contains(port) else {
            throw BenchError("--redis must be host:port")
        }
        var logger = Logger(label: "tether.bench.redis")
        logger.logLevel = .error
        self.client = RedisClient(
            configuration: RedisConfiguration(host: String(parts[0]), port: port, poolSize: 1),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger
        )
    }

    /// Calls per command so far (`cmdstat_NAME:calls=N,…`), names lowercased (`script|load` stays as is).
    func commandCalls() async throws -> [String: Int] {
        let text = try await self.client.send("INFO", "commandstats").string ?? ""
        var calls: [String: Int] = [:]
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("cmdstat_") {
            let body = line.dropFirst("cmdstat_".count)
            guard let colon = body.firstIndex(of: ":") else { continue }
            let fields = body[body.index(after: colon)...].split(separator: ",")
            guard let first = fields.first, first.hasPrefix("calls="), let count = Int(first.dropFirst("calls=".count)) else { continue }
            calls[body[..<colon].lowercased()] = count
        }
        return calls
    }

    /// `after − before`, commands that were called in between only.
    static func delta(_ before: [String: Int], _ after: [String: Int]) -> [String: Int] {
        after.compactMapValues { $0 }.reduce(into: [:]) { result, entry in
            let difference = entry.value - (before[entry.key] ?? 0)
            if difference > 0 { result[entry.key] = difference }
        }
    }

    func shutdown() async {
        await self.client.shutdown()
    }
}
