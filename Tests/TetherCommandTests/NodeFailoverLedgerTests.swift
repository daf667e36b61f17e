import Testing

@testable import TetherCommand

/// The accounting of `tether bench failover`: what counts as lost, duplicated and out of order, and the
/// failover times, from recorded events.
@Suite struct NodeFailoverLedgerTests {
    static let base = ContinuousClock.now

    static func at(_ ms: Int) -> ContinuousClock.Instant { base + .milliseconds(ms) }

    /// Acknowledges offsets 1...`count` of channel `channel` (seq = offset).
    static func ledger(channels: [Int: UInt64], epoch: String = "e1") -> NodeFailoverLedger {
        var ledger = NodeFailoverLedger()
        for (channel, count) in channels {
            for offset in 1...count { ledger.acknowledge(channel: channel, epoch: epoch, offset: offset, duplicate: false) }
        }
        return ledger
    }

    /// A track of channel `channel` that received `offsets` in that order (seq derived from the offset).
    static func track(channel: Int, _ offsets: [UInt64], epoch: String = "e1") -> NodeFailoverTrack {
        var track = NodeFailoverTrack(channel: channel)
        for (index, offset) in offsets.enumerated() {
            track.publication(offset: offset, epoch: epoch, seq: offset * 10 + UInt64(channel), at: at(index))
        }
        return track
    }

    @Test func everythingReceivedOnceInOrderIsClean() {
        let ledger = Self.ledger(channels: [0: 5, 1: 3])
        let outcome = ledger.outcome(of: [Self.track(channel: 0, [1, 2, 3, 4, 5]), Self.track(channel: 1, [1, 2, 3])], kill: nil)
        #expect(outcome.acknowledged == 8)
        #expect(outcome.deliveries == 8)
        #expect(outcome.lost == 0 && outcome.lostPublications == 0 && outcome.clientsWithLoss == 0)
        #expect(outcome.duplicated == 0 && outcome.outOfOrder == 0)
    }

    @Test func missingAcknowledgedOffsetsAreLostPerClientAndPerPublication() {
        let ledger = Self.ledger(channels: [0: 5])
        // Client a misses 2 and 5, client b misses 2: 3 (client, publication) pairs, 2 distinct publications.
        let outcome = ledger.outcome(of: [Self.track(channel: 0, [1, 3, 4]), Self.track(channel: 0, [1, 3, 4, 5])], kill: nil)
        #expect(outcome.lost == 3)
        #expect(outcome.lostPublications == 2)
        #expect(outcome.clientsWithLoss == 2)
    }

    @Test func publicationsThatWereNeverAcknowledgedAreNotLost() {
        var ledger = NodeFailoverLedger()
        ledger.acknowledge(channel: 0, epoch: "e1", offset: 1, duplicate: false)
        ledger.acknowledge(channel: 0, epoch: "e1", offset: 3, duplicate: true)
        ledger.acknowledge(channel: 0, epoch: "e1", offset: 3, duplicate: true)
        // Offset 2 was made but its acknowledgement never came; the client missing it loses nothing.
        let outcome = ledger.outcome(of: [Self.track(channel: 0, [1, 3])], kill: nil)
        #expect(outcome.lost == 0)
        #expect(outcome.acknowledged == 2, "an offset acknowledged twice counts once")
        #expect(ledger.duplicateAcks == 2)
    }

    @Test func anotherEpochDoesNotCountAsReceived() {
        let ledger = Self.ledger(channels: [0: 2], epoch: "new")
        let outcome = ledger.outcome(of: [Self.track(channel: 0, [1, 2], epoch: "old")], kill: nil)
        #expect(outcome.lost == 2)
    }

    @Test func aRepeatedOffsetOrSequenceNumberIsADuplicate() {
        var track = Self.track(channel: 0, [1, 2, 2])
        // Same data published twice (a retry that made a second publication): new offset, same seq.
        track.publication(offset: 3, epoch: "e1", seq: 20, at: Self.at(10))
        #expect(track.duplicates == 2)
        #expect(track.outOfOrder == 0)
        #expect(track.deliveries == 4)
        let outcome = Self.ledger(channels: [0: 2]).outcome(of: [track], kill: nil)
        #expect(outcome.duplicated == 2)
    }

    @Test func aLowerNewOffsetIsOutOfOrder() {
        let track = Self.track(channel: 0, [1, 3, 2, 4])
        #expect(track.outOfOrder == 1)
        #expect(track.duplicates == 0)
        #expect(Self.ledger(channels: [0: 4]).outcome(of: [track], kill: nil).lost == 0)
    }

    @Test func dataWithoutASequenceNumberIsForeign() {
        var track = NodeFailoverTrack(channel: 0)
        track.publication(offset: 1, epoch: "e1", seq: nil, at: Self.at(0))
        #expect(track.foreign == 1)
        #expect(track.duplicates == 0)
    }

    @Test func gapsAreCountedWithTheirOffsets() {
        var track = NodeFailoverTrack(channel: 0)
        track.gap(count: 3)
        track.gap(count: 2)
        let outcome = NodeFailoverLedger().outcome(of: [track], kill: nil)
        #expect(outcome.gaps == 2)
        #expect(outcome.gapOffsets == 5)
    }

    @Test func caughtUpMeansTheLastAcknowledgedOffsetArrived() {
        let ledger = Self.ledger(channels: [0: 3])
        #expect(!ledger.caughtUp(Self.track(channel: 0, [1, 2])))
        #expect(ledger.caughtUp(Self.track(channel: 0, [1, 2, 3])))
        #expect(ledger.caughtUp(Self.track(channel: 7, [])), "nothing acknowledged on its channel")
        #expect(ledger.lastAcknowledged(channel: 0)?.offset == 3)
    }

    @Test func aMovedClientsTimesAreMeasuredFromItsOwnLoss() throws {
        var moved = NodeFailoverTrack(channel: 0)
        moved.connected(node: "a", session: "s1", at: Self.at(0))
        moved.publication(offset: 1, epoch: "e1", seq: 0, at: Self.at(50))
        moved.disconnected(code: 1006, at: Self.at(130))
        moved.connected(node: "c", session: "s1", at: Self.at(180))
        moved.publication(offset: 2, epoch: "e1", seq: 1, at: Self.at(175))  // recovered with the connect reply
        moved.publication(offset: 3, epoch: "e1", seq: 2, at: Self.at(200))

        var stayed = NodeFailoverTrack(channel: 0)
        stayed.connected(node: "b", session: "s2", at: Self.at(0))
        stayed.publication(offset: 1, epoch: "e1", seq: 0, at: Self.at(50))

        var fresh = NodeFailoverTrack(channel: 0)
        fresh.connected(node: "a", session: "s3", at: Self.at(0))
        fresh.disconnected(code: 1006, at: Self.at(140))
        fresh.connected(node: "c", session: "s4", at: Self.at(400))

        let outcome = NodeFailoverLedger().outcome(of: [moved, stayed, fresh], kill: Self.at(100))
        #expect(outcome.moved == 2)
        #expect(outcome.closes == 2 && outcome.clientsWithClose == 2)
        #expect(outcome.reconnected == 2)
        #expect(outcome.sessionsResumed == 1, "only the first kept its session")
        #expect(outcome.notResumed == 1)
        #expect(outcome.timesToResume == [.milliseconds(45)])
        #expect(outcome.timesToReconnect == [.milliseconds(50), .milliseconds(260)])
        #expect(outcome.timesToDetect == [.milliseconds(30), .milliseconds(40)])
        #expect(outcome.nodesAtKill == ["a": 2, "b": 1])
        #expect(outcome.nodesAtEnd == ["c": 2, "b": 1])
        #expect(outcome.closeCodes == [1006: 2])
    }

    @Test func everyLossCountsWithOrWithoutAKill() {
        var track = NodeFailoverTrack(channel: 0)
        track.connected(node: "a", session: "s", at: Self.at(0))
        track.disconnected(code: 1012, at: Self.at(10))
        track.connected(node: "b", session: "s", at: Self.at(20))
        track.disconnected(code: 1006, at: Self.at(30))
        track.publication(offset: 1, epoch: "e1", seq: 0, at: Self.at(35))
        track.connected(node: "c", session: "s", at: Self.at(70))
        let outcome = NodeFailoverLedger().outcome(of: [track], kill: nil)
        #expect(outcome.moved == 1)
        #expect(outcome.closes == 2)
        #expect(outcome.sessionsResumed == 1, "the same session after both losses")
        #expect(outcome.timesToReconnect == [.milliseconds(40)], "the longest of the client's losses")
        #expect(outcome.timesToResume == [.milliseconds(25)], "two losses in a row share their first publication")
        #expect(outcome.timesToDetect.isEmpty, "no kill")
    }

    @Test func aNewSessionAfterAnyLossIsNotResumed() {
        var track = NodeFailoverTrack(channel: 0)
        track.connected(node: "a", session: "s", at: Self.at(0))
        track.disconnected(code: 1012, at: Self.at(10))
        track.connected(node: "b", session: "s", at: Self.at(20))
        track.disconnected(code: 1006, at: Self.at(30))
        track.connected(node: "c", session: "t", at: Self.at(40))
        #expect(NodeFailoverLedger().outcome(of: [track], kill: nil).sessionsResumed == 0)
    }

    @Test func theLongestDeliveryGapIsKeptPerClient() {
        var track = NodeFailoverTrack(channel: 0)
        for (offset, ms) in [(1, 0), (2, 40), (3, 300), (4, 320)] {
            track.publication(offset: UInt64(offset), epoch: "e1", seq: UInt64(offset), at: Self.at(ms))
        }
        #expect(track.longestDeliveryGap == .milliseconds(260))
        #expect(NodeFailoverLedger().outcome(of: [track, NodeFailoverTrack(channel: 1)], kill: nil).longestDeliveryGaps == [.milliseconds(260), .zero])
    }

    @Test func timesArePercentilesInMilliseconds() {
        let times = NodeFailoverTimes((1...100).map { Duration.milliseconds($0) })
        #expect(times.count == 100)
        #expect(times.p50 == 50)
        #expect(times.p99 == 99)
        #expect(times.max == 100)
        #expect(NodeFailoverTimes([]).p99 == 0)
        #expect(NodeFailoverTimes([.microseconds(12_345)]).p50 == 12.3)
    }
}
