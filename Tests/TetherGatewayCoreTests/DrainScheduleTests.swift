import Testing

@testable import TetherGatewayCore

@Suite struct DrainScheduleTests {
    @Test func spreadsClosesEvenlyStartingAtZero() {
        #expect(DrainSchedule.offsets(count: 4, window: .seconds(8)) == [.zero, .seconds(2), .seconds(4), .seconds(6)])
        #expect(DrainSchedule.offsets(count: 1, window: .seconds(30)) == [.zero])
        #expect(DrainSchedule.offsets(count: 0, window: .seconds(30)).isEmpty)
        #expect(DrainSchedule.offsets(count: 3, window: .zero) == [.zero, .zero, .zero])
    }

    @Test func jitterStaysInsideEachSlot() {
        var generator = SplitMix64(seed: 42)
        let offsets = DrainSchedule.offsets(count: 100, window: .seconds(10), jitter: 1, using: &generator)
        let slot = Duration.milliseconds(100)
        #expect(offsets.enumerated().allSatisfy { $0.element >= slot * $0.offset && $0.element < slot * ($0.offset + 1) })
        #expect(offsets != DrainSchedule.offsets(count: 100, window: .seconds(10)))
    }
}
