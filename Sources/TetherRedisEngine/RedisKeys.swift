/// The keys and pub/sub channels of one deployment (see docs/node.md, "Redis engine").
///
/// Every key of a channel carries the channel name as a hash tag (`PREFIX:{CHANNEL}:meta`), so a channel's
/// keys share one Redis Cluster slot and one script can touch them all. The prefix must not contain `{`
/// (``RedisEngineConfiguration/isValidPrefix(_:)``), so the tag is the same for every key of a channel even
/// when the channel name itself contains braces.
struct RedisKeys: Sendable {
    let prefix: String

    /// Hash: `epoch` and `offset` (the last assigned one). Expires `metaTTL` after the last publish or read.
    func meta(_ channel: String) -> String { "\(self.prefix):{\(channel)}:meta" }
    /// Stream of held publications; entry id `OFFSET-0`, fields `t` (publish time, ms) and `p` (payload).
    func stream(_ channel: String) -> String { "\(self.prefix):{\(channel)}:stream" }
    /// String `EPOCH:OFFSET`: the first result for an idempotency key, kept for the window.
    func idempotency(_ channel: String, key: String) -> String { "\(self.prefix):{\(channel)}:idem:\(key)" }
    /// Pub/sub channel carrying the channel's publications and presence events, in publish order.
    func events(_ channel: String) -> String { "\(self.prefix):{\(channel)}:events" }
    /// Hash: client id → ClientInfo JSON.
    func presence(_ channel: String) -> String { "\(self.prefix):{\(channel)}:presence" }
    /// Sorted set: client id → lease expiry (ms since the epoch, Redis time).
    func presenceLeases(_ channel: String) -> String { "\(self.prefix):{\(channel)}:presence:leases" }
    /// String: a session record's JSON.
    func session(_ id: String) -> String { "\(self.prefix):session:{\(id)}" }
    /// Hash: node name → NodeInfo JSON.
    var nodes: String { "\(self.prefix):{nodes}:info" }
    /// Sorted set: node name → heartbeat expiry (ms, Redis time).
    var nodeLeases: String { "\(self.prefix):{nodes}:leases" }
    /// Pub/sub channel every node subscribes to, for cluster-wide control messages.
    var control: String { "\(self.prefix):control" }

    /// The channel name of an events channel, or nil if `events` is not one of ours.
    func channel(fromEvents events: String) -> String? {
        let head = "\(self.prefix):{"
        let tail = "}:events"
        guard events.hasPrefix(head), events.hasSuffix(tail), events.utf8.count >= head.utf8.count + tail.utf8.count else { return nil }
        return String(events.dropFirst(head.count).dropLast(tail.count))
    }
}
