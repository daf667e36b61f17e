import TetherRedis

/// How a ``RedisEngine`` reaches Redis and names its keys.
public struct RedisEngineConfiguration: Sendable {
    /// The server, credentials, TLS, pool size and timeouts (shared by the command pool and every
    /// broker's pub/sub connection).
    public var redis: RedisConfiguration
    /// Prepended to every key and pub/sub channel (`PREFIX:{channel}:meta` and so on), so several
    /// deployments can share one Redis. Letters, digits, `-`, `_`, `.` and `:` only.
    public var prefix: String
    /// Sharded pub/sub (`SPUBLISH`/`SSUBSCRIBE`, Redis 7 or later): on Redis Cluster each channel's
    /// messages then stay on the shard that owns the channel's keys. Works on a single server too.
    public var shardedPubSub: Bool

    public init(redis: RedisConfiguration = RedisConfiguration(), prefix: String = "tether", shardedPubSub: Bool = false) {
        self.redis = redis
        self.prefix = prefix
        self.shardedPubSub = shardedPubSub
    }

    /// Whether `prefix` is usable (see ``prefix``).
    public static func isValidPrefix(_ prefix: String) -> Bool {
        !prefix.isEmpty && prefix.utf8.count <= 64 && prefix.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
        }
    }
}
