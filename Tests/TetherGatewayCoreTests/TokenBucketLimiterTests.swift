import Testing

@testable import TetherGatewayCore

@Suite struct TokenBucketLimiterTests {
    @Test func burstThenRateWithRetryAfter() {
        var limiter = TokenBucketLimiter(ratePerSecond: 2, burst: 3)
        #expect((0..<3).map { _ in limiter.acquire(key: "a", now: 100) } == Array(repeating: .allowed, count: 3))
        #expect(limiter.acquire(key: "a", now: 100) == .limited(retryAfter: 0.5))
        #expect(limiter.acquire(key: "a", now: 100.25) == .limited(retryAfter: 0.25))
        #expect(limiter.acquire(key: "a", now: 100.5) == .allowed)
        #expect(limiter.acquire(key: "b", now: 100.5) == .allowed)  // keys are independent
        #expect(limiter.acquire(key: "a", now: 200) == .allowed)  // refilled, but only up to the burst
        #expect((0..<2).map { _ in limiter.acquire(key: "a", now: 200) } == [.allowed, .allowed])
        #expect(limiter.acquire(key: "a", now: 200) != .allowed)
    }

    @Test func fullBucketsAreDroppedFirstWhenTheKeyBoundIsReached() {
        var limiter = TokenBucketLimiter(ratePerSecond: 1, burst: 1, maxKeys: 10)
        for index in 0..<10 { _ = limiter.acquire(key: "k\(index)", now: 0) }
        #expect(limiter.keyCount == 10)
        _ = limiter.acquire(key: "late", now: 5)  // every earlier bucket has refilled: all dropped, losing nothing
        #expect(limiter.keyCount == 1)
    }

    @Test func staysBoundedUnderAKeyFloodAndKeepsRecentlyUsedLimitedKeys() {
        var limiter = TokenBucketLimiter(ratePerSecond: 0.001, burst: 1, maxKeys: 10)
        _ = limiter.acquire(key: "abuser", now: 0)
        for index in 0..<1000 {
            _ = limiter.acquire(key: "flood-\(index)", now: 0)
            #expect(limiter.acquire(key: "abuser", now: 0) != .allowed)
            #expect(limiter.keyCount <= 10)
        }
    }
}
