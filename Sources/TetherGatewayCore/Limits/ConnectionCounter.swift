/// Open connections per key (for example per client IP), with an optional limit checked on increment.
/// Keys whose count drops to zero are removed, so memory follows the number of keys with open connections.
public struct ConnectionCounter: Sendable, Equatable {
    private var counts: [String: Int] = [:]
    /// Sum over all keys.
    public private(set) var total = 0

    public init() {}

    public func count(for key: String) -> Int { counts[key] ?? 0 }

    /// Keys with at least one open connection.
    public var keyCount: Int { counts.count }

    /// Counts one more connection for `key` unless it already has `limit` (nil: no limit). Returns false,
    /// changing nothing, when the limit is reached.
    public mutating func increment(_ key: String, limit: Int? = nil) -> Bool {
        let current = counts[key] ?? 0
        if let limit, current >= limit { return false }
        counts[key] = current + 1
        total += 1
        return true
    }

    /// Counts one connection of `key` as closed. A key at zero (or unknown) is left alone.
    public mutating func decrement(_ key: String) {
        guard let current = counts[key] else { return }
        counts[key] = current > 1 ? current - 1 : nil
        total -= 1
    }
}
