import Testing
@testable import TetherCore
import TetherProtocol

/// The recovery rules of docs/protocol.md ("subscribe"), as pure logic.
@Suite("Recovery plan")
struct RecoveryPlanTests {
    private func history(top: UInt64, held: ClosedRange<UInt64>?, epoch: String = "E") -> EngineHistoryResult {
        EngineHistoryResult(
            position: StreamPosition(offset: top, epoch: epoch),
            publications: held.map { $0.map { Publication(offset: $0, data: RawJSON(unchecked: "\($0)")) } } ?? []
        )
    }

    @Test("no since: position only")
    func fromNow() {
        let plan = RecoveryPlan(since: nil, history: self.history(top: 7, held: nil))
        #expect(plan.position.offset == 7)
        #expect(plan.recovered == nil && plan.publications == nil && plan.missing == nil)
    }

    @Test("everything after since still held: recovered, exactly those")
    func complete() {
        let plan = RecoveryPlan(since: StreamPosition(offset: 4, epoch: "E"), history: self.history(top: 7, held: 5...7))
        #expect(plan.recovered == true)
        #expect(plan.publications?.map(\.offset) == [5, 6, 7])
        #expect(plan.missing == nil)
        let upToDate = RecoveryPlan(since: StreamPosition(offset: 7, epoch: "E"), history: self.history(top: 7, held: nil))
        #expect(upToDate.recovered == true && upToDate.publications == [])
    }

    @Test("trimmed: the exact missing range and what is still held")
    func trimmed() {
        let plan = RecoveryPlan(since: StreamPosition(offset: 2, epoch: "E"), history: self.history(top: 20, held: 11...20))
        #expect(plan.recovered == false)
        #expect(plan.failure == .trimmed)
        #expect(plan.missing == OffsetRange(from: 3, to: 10))
        #expect(plan.publications?.first?.offset == 11)
        let nothingHeld = RecoveryPlan(since: StreamPosition(offset: 2, epoch: "E"), history: self.history(top: 20, held: nil))
        #expect(nothingHeld.missing == OffsetRange(from: 3, to: 20))
        #expect(nothingHeld.publications == [])
    }

    @Test("another epoch, or a position ahead of the channel: recovered false, reason epoch")
    func epoch() {
        let other = RecoveryPlan(since: StreamPosition(offset: 2, epoch: "old"), history: self.history(top: 5, held: 1...5))
        #expect(other.recovered == false && other.failure == .epoch && other.missing == nil && other.publications == [])
        let ahead = RecoveryPlan(since: StreamPosition(offset: 9, epoch: "E"), history: self.history(top: 5, held: 1...5))
        #expect(ahead.failure == .epoch)
    }

    @Test("a reply carries at most its byte budget of publications (at least one) and says more")
    func budget() {
        let plan = RecoveryPlan(since: StreamPosition(offset: 0, epoch: "E"), history: self.history(top: 100, held: 1...100))
        let result = plan.result(channel: "c", recoverable: true, byteBudget: 400)
        #expect(result.more)
        #expect((result.publications?.count ?? 0) > 1 && (result.publications?.count ?? 0) < 100)
        #expect(result.publications?.first?.offset == 1)
        let whole = plan.result(channel: "c", recoverable: true, byteBudget: 1 << 20)
        #expect(!whole.more && whole.publications?.count == 100)
        let tiny = plan.result(channel: "c", recoverable: true, byteBudget: 1)
        #expect(tiny.publications?.count == 1 && tiny.more)
    }
}
