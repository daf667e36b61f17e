import Testing

@testable import TetherCommand

/// `tether client`'s seq check, which the demo's README line relies on to show "lost 0, duplicated 0".
@Suite("tether client tally")
struct DemoClientTallyTests {
    @Test("skipped seqs count as lost, repeated ones as duplicated, per channel; the limit ends the wait")
    func seqCheck() async {
        let tally = TerminalClientTally(limit: 6)
        #expect(tally.record(channel: "a", seq: 1) == "")
        #expect(tally.record(channel: "a", seq: 2) == "")
        #expect(tally.record(channel: "b", seq: 7) == "")
        #expect(tally.record(channel: "a", seq: 5).contains("LOST seq 3…4"))
        #expect(tally.record(channel: "a", seq: 5).contains("DUPLICATE seq 5"))
        #expect(tally.summary.contains("lost 2, duplicated 1"))
        _ = tally.record(channel: "a", seq: nil)
        await tally.reachedLimit()  // returns at once: 6 publications counted
        #expect(tally.summary.hasPrefix("received 6 publication(s)"))
    }
}
