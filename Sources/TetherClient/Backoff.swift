/// Reconnect delays: exponential from ``min`` to ``max`` with full jitter (each delay is uniform between
/// zero and the current cap).
public struct Backoff: Sendable, Hashable {
    public var min: Duration
    public var max: Duration

    public init(min: Duration = .milliseconds(100), max: Duration = .seconds(10)) {
        self.min = min
        self.max = Swift.max(min, max)
    }

    /// The cap for attempt `attempt` (0-based): `min · 2^attempt`, at most `max`.
    public func cap(attempt: Int) -> Duration {
        var cap = self.min
        for _ in 0..<Swift.min(attempt, 40) {
            cap = cap * 2
            if cap >= self.max { return self.max }
        }
        return Swift.min(cap, self.max)
    }

    /// A random delay in `0 … cap(attempt:)`.
    public func delay(attempt: Int) -> Duration {
        let capMs = Swift.max(Int64(0), Self.milliseconds(self.cap(attempt: attempt)))
        return .milliseconds(Int64.random(in: 0...capMs))
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let parts = duration.components
        return parts.seconds * 1000 + parts.attoseconds / 1_000_000_000_000_000
    }
}
