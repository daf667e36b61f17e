/// Token bucket for one connection's commands: `perSecond` sustained, `burst` on top. Refusals beyond
/// another `burst` worth of refused commands mark the connection abusive (close 3006).
struct CommandRate: Sendable {
    enum Verdict: Sendable, Hashable {
        case allowed
        case refused
        case abusive
    }

    private let perSecond: Double
    private let burst: Double
    private var tokens: Double
    private var refusedInARow = 0
    private var updatedAt: Int64

    init(perSecond: Int, burst: Int, now: Int64) {
        self.perSecond = Double(max(perSecond, 1))
        self.burst = Double(max(burst, 1))
        self.tokens = Double(max(burst, 1))
        self.updatedAt = now
    }

    mutating func take(now: Int64) -> Verdict {
        let elapsed = Double(max(now - self.updatedAt, 0)) / 1000
        self.updatedAt = now
        self.tokens = min(self.burst, self.tokens + elapsed * self.perSecond)
        if self.tokens >= 1 {
            self.tokens -= 1
            self.refusedInARow = 0
            return .allowed
        }
        self.refusedInARow += 1
        return Double(self.refusedInARow) > self.burst ? .abusive : .refused
    }
}
