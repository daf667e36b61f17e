import Foundation
import Testing

@testable import TetherCommand

@Suite struct BenchNodeOffsetTrackerTests {
    @Test func inOrderDeliveryLosesNothing() {
        var tracker = NodeOffsetTracker(start: 10)
        for offset in 11...20 { #expect(tracker.record(Int64(offset)) == .inOrder) }
        #expect(tracker.lost(lastPublished: 20) == 0)
        #expect(tracker.duplicates == 0 && tracker.outOfOrder == 0)
    }

    @Test func holesAndTheTailAreLost() {
        var tracker = NodeOffsetTracker(start: 0)
        #expect(tracker.record(1) == .inOrder)
        #expect(tracker.record(4) == .afterGap(skipped: 2))
        #expect(tracker.holes == 2)
        // 2 and 3 never came; 5 and 6 were published but not received.
        #expect(tracker.lost(lastPublished: 6) == 4)
    }

    @Test func aLateOffsetFillsItsHoleAndIsOutOfOrder() {
        var tracker = NodeOffsetTracker(start: 0)
        _ = tracker.record(1)
        _ = tracker.record(3)
        #expect(tracker.record(2) == .outOfOrder)
        #expect(tracker.outOfOrder == 1)
        #expect(tracker.lost(lastPublished: 3) == 0)
    }

    @Test func repeatsAreDuplicates() {
        var tracker = NodeOffsetTracker(start: 5)
        _ = tracker.record(6)
        _ = tracker.record(7)
        #expect(tracker.record(7) == .duplicate)
        #expect(tracker.record(6) == .duplicate)
        // At or below the subscription's start position: already had it.
        #expect(tracker.record(5) == .duplicate)
        #expect(tracker.duplicates == 3)
        #expect(tracker.lost(lastPublished: 7) == 0)
    }

    @Test func holesBeyondTheBoundStillCountAsLost() {
        var tracker = NodeOffsetTracker(start: 0)
        let far = Int64(NodeOffsetTracker.maxMissing) + 51
        #expect(tracker.record(far) == .afterGap(skipped: far - 1))
        #expect(tracker.holes == far - 1)
        #expect(tracker.lost(lastPublished: far) == far - 1)
    }
}

@Suite struct BenchNodeScheduleTests {
    @Test func sendsThePlannedCountAndSkipsWhatCannotBeSent() {
        var schedule = NodePublishSchedule(perSecond: 1000, start: 1_000_000_000)
        #expect(schedule.due(at: 999_999_999, outstanding: 0) == 0)
        #expect(schedule.due(at: 1_000_000_000, outstanding: 0) == 1)
        // 10 ms later: 10 more are due.
        #expect(schedule.due(at: 1_010_000_000, outstanding: 0) == 10)
        #expect(schedule.due(at: 1_010_000_000, outstanding: 0) == 0)
        // Too many unacknowledged: the due ones are skipped, not sent later.
        #expect(schedule.due(at: 1_020_000_000, outstanding: NodePublishSchedule.maxOutstanding) == 0)
        #expect(schedule.skipped == 10)
        #expect(schedule.due(at: 1_021_000_000, outstanding: 0) == 1)
    }

    @Test func aStallSendsAtMostOneBurst() {
        var schedule = NodePublishSchedule(perSecond: 100_000, start: 0)
        #expect(schedule.due(at: 1_000_000_000, outstanding: 0) == NodePublishSchedule.maxBurst)
        #expect(schedule.skipped == 100_001 - NodePublishSchedule.maxBurst)
    }
}

@Suite struct BenchNodeProcessProbeTests {
    @Test func readsRSSAndCPUFromProcText() {
        #expect(NodeProcessProbe.residentKiB(status: "Name:\ttether\nVmPeak:\t  9000 kB\nVmRSS:\t   51234 kB\n") == 51234)
        let stat = "4242 (tether node) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 5 0 100 0 0"
        #expect(NodeProcessProbe.cpuSeconds(stat: stat, ticksPerSecond: 100) == 3.0)
        #expect(NodeProcessProbe.cpuSeconds(pid: getpidForTest()) != nil)
    }

    func getpidForTest() -> Int32 {
        Int32(ProcessInfo.processInfo.processIdentifier)
    }
}
