/// Per-key token buckets (for example upgrades per client IP): each key may spend `burst` tokens at once and
/// regains `ratePerSecond` tokens per second.
///
/// Bounded in memory: at most `maxKeys` buckets are kept. When that is reached, buckets that have refilled
/// completely are dropped first (losing nothing: a full bucket behaves like a new one); if that is not enough,
/// the least recently used buckets are dropped down to 90% of `maxKeys`, so the cost is amortised over many
/// inserts. A dropped, non-full bucket comes back full — the only way the limit can be exceeded, and only
/// for keys that a flood of other keys pushed out.
///
/// Time: `now` is seconds on any monotonic clock, as a `Double`, never decreasing between calls.
public struct TokenBucketLimiter: Sendable {
    public enum Result: Sendable, Equatable {
        case allowed
        /// Denied; one token will be available after this many seconds.
        case limited(retryAfter: Double)
    }

    private struct Bucket: Sendable {
        var tokens: Double
        var updated: Double
        var lastUsed: UInt64
    }

    public let ratePerSecond: Double
    public let burst: Int
    public let maxKeys: Int
    private var buckets: [String: Bucket] = [:]
    private var useCounter: UInt64 = 0

    /// `ratePerSecond` is clamped to at least 1e-6, `burst` and `maxKeys` to at least 1.
    public init(ratePerSecond: Double, burst: Int, maxKeys: Int = 100_000) {
        self.ratePerSecond = max(ratePerSecond, 1e-6)
        self.burst = max(burst, 1)
        self.maxKeys = max(maxKeys, 1)
    }

    /// Buckets currently held.
    public var keyCount: Int { buckets.count }

    /// Takes one token from `key`'s bucket if it has one.
    public mutating func acquire(key: String, now: Double) -> Result {
        useCounter += 1
        var bucket: Bucket
        if let existing = buckets[key] {
            bucket = existing
            let elapsed = max(0, now - bucket.updated)
            bucket.tokens = min(Double(burst), bucket.tokens + elapsed * ratePerSecond)
        } else {
            if buckets.count >= maxKeys { evict(now: now) }
            bucket = Bucket(tokens: Double(burst), updated: now, lastUsed: 0)
        }
        bucket.updated = max(bucket.updated, now)
        bucket.lastUsed = useCounter
        let result: Result
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            result = .allowed
        } else {
            result = .limited(retryAfter: (1 - bucket.tokens) / ratePerSecond)
        }
        buckets[key] = bucket
        return result
    }

    private mutating func evict(now: Double) {
        let full = Double(burst)
        let rate = ratePerSecond
        buckets = buckets.filter { _, bucket in bucket.tokens + max(0, now - bucket.updated) * rate < full }
        let target = maxKeys - max(1, maxKeys / 10)
        guard buckets.count > target else { return }
        let oldest = buckets.sorted { $0.value.lastUsed < $1.value.lastUsed }.prefix(buckets.count - target)
        for (key, _) in oldest { buckets[key] = nil }
    }
}
