import Testing

@testable import TetherGatewayCore

@Suite struct ConnectionCounterTests {
    @Test func enforcesTheLimitPerKeyAndForgetsZeroKeys() {
        var counter = ConnectionCounter()
        let admitted = ["1.1.1.1", "1.1.1.1", "1.1.1.1", "2.2.2.2"].map { counter.increment($0, limit: 2) }
        #expect(admitted == [true, true, false, true])
        #expect(counter.count(for: "1.1.1.1") == 2 && counter.total == 3 && counter.keyCount == 2)
        counter.decrement("1.1.1.1")
        let again = counter.increment("1.1.1.1", limit: 2)
        #expect(again)
        counter.decrement("2.2.2.2")
        #expect(counter.keyCount == 1 && counter.count(for: "2.2.2.2") == 0)
        counter.decrement("2.2.2.2")  // unknown: no effect, no negative counts
        #expect(counter.total == 2)
    }

    @Test func nilLimitIsUnlimited() {
        var counter = ConnectionCounter()
        let admitted = (0..<1000).map { _ in counter.increment("k") }
        #expect(admitted.allSatisfy { $0 })
        #expect(counter.count(for: "k") == 1000)
    }
}
