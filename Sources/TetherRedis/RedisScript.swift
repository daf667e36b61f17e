/// A Lua script, named by the SHA-1 of its source as Redis names it. ``RedisClient/eval(_:keys:args:)`` runs
/// it with `EVALSHA` and loads it on `NOSCRIPT`, so the source crosses the network only when the server lacks it.
public struct RedisScript: Sendable, Equatable {
    public let source: String
    /// Lower-case hex SHA-1 of the UTF-8 source (what `SCRIPT LOAD` returns).
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = RedisSHA1.hex(source.utf8)
    }
}
