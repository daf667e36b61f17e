import Testing
import TetherProtocol

@testable import TetherClient

/// The client's delivery rules (dedupe, hole filling, gaps, epochs) without a network.
@Suite("TetherClient delivery rules")
struct ClientChannelStateTests {
    let client = TetherClient(url: ClientTestSupport.deadURL)

    func makeState(position: StreamPosition? = nil) -> ChannelState {
        ChannelState(
            subscription: Subscription(channel: "chat:t", client: self.client, position: position),
            position: position,
            waiter: nil
        )
    }

    /// Ends the stream and returns everything it buffered.
    func drain(_ state: ChannelState) async throws -> [SubscriptionEvent] {
        state.subscription.continuation.finish()
        var events: [SubscriptionEvent] = []
        for try await event in state.subscription { events.append(event) }
        return events
    }

    static func pub(_ offset: UInt64) -> Publication {
        Publication(offset: offset, data: RawJSON(unchecked: "{\"n\":\(offset)}"))
    }

    static func pubs(_ offsets: ClosedRange<UInt64>, epoch: String = "e") -> [SubscriptionEvent] {
        offsets.map { .publication(Self.pub($0), epoch: epoch) }
    }

    func active(at offset: UInt64, epoch: String = "e") -> ChannelState {
        var state = self.makeState()
        #expect(state.apply(SubscribeResult(channel: "chat:t", position: StreamPosition(offset: offset, epoch: epoch), recoverable: true)) == nil)
        return state
    }

    @Test("duplicates at or below the position are dropped; the next offset is delivered")
    func duplicates() async throws {
        var state = self.active(at: 5)
        #expect(state.receive(Self.pub(5), epoch: "e") == nil)
        #expect(state.receive(Self.pub(6), epoch: "e") == nil)
        #expect(state.receive(Self.pub(6), epoch: "e") == nil)
        #expect(state.receive(Self.pub(2), epoch: "e") == nil)
        #expect(state.subscription.position == StreamPosition(offset: 6, epoch: "e"))
        #expect(try await self.drain(state) == Self.pubs(6...6))
    }

    @Test("a hole is filled from history before later pushes are delivered")
    func holeFilled() async throws {
        var state = self.active(at: 6)
        let maybeFill = state.receive(Self.pub(9), epoch: "e")
        let fill = try #require(maybeFill)
        #expect(fill.since == StreamPosition(offset: 6, epoch: "e") && fill.target == 8)
        #expect(state.receive(Self.pub(10), epoch: "e") == nil)
        let history = HistoryResult(position: StreamPosition(offset: 10, epoch: "e"), publications: [Self.pub(7), Self.pub(8)])
        #expect(state.completeFill(id: fill.id, result: history) == nil)
        #expect(try await self.drain(state) == Self.pubs(7...10))
    }

    @Test("what history no longer has is reported as an exact gap in its place")
    func fillTrimmed() async throws {
        var state = self.active(at: 6)
        let maybeFill = state.receive(Self.pub(12), epoch: "e")
        let fill = try #require(maybeFill)
        let history = HistoryResult(
            position: StreamPosition(offset: 12, epoch: "e"),
            publications: [Self.pub(10), Self.pub(11)],
            missing: OffsetRange(from: 7, to: 9)
        )
        #expect(state.completeFill(id: fill.id, result: history) == nil)
        let expected: [SubscriptionEvent] = [.gap(OffsetRange(from: 7, to: 9), reason: .trimmed)] + Self.pubs(10...12)
        #expect(try await self.drain(state) == expected)
    }

    @Test("a failed fill reports the whole hole as a gap, then continues")
    func fillFailed() async throws {
        var state = self.active(at: 6)
        let maybeFill = state.receive(Self.pub(12), epoch: "e")
        let fill = try #require(maybeFill)
        #expect(state.completeFill(id: fill.id, result: nil) == nil)
        let expected: [SubscriptionEvent] = [.gap(OffsetRange(from: 7, to: 11), reason: .trimmed)] + Self.pubs(12...12)
        #expect(try await self.drain(state) == expected)
    }

    @Test("a gap push is filled from history; pushes after it wait")
    func gapPush() async throws {
        var state = self.active(at: 6)
        let maybeFill = state.receiveGap(OffsetRange(from: 7, to: 9))
        let fill = try #require(maybeFill)
        #expect(fill.target == 9)
        #expect(state.receive(Self.pub(10), epoch: "e") == nil)
        let history = HistoryResult(position: StreamPosition(offset: 10, epoch: "e"), publications: [Self.pub(7), Self.pub(8), Self.pub(9)])
        #expect(state.completeFill(id: fill.id, result: history) == nil)
        #expect(try await self.drain(state) == Self.pubs(7...10))
    }

    @Test("a second hole found while replaying starts another fill")
    func secondHole() async throws {
        var state = self.active(at: 1)
        let maybeFirst = state.receive(Self.pub(3), epoch: "e")
        let first = try #require(maybeFirst)
        #expect(state.receive(Self.pub(6), epoch: "e") == nil)
        #expect(state.receive(Self.pub(7), epoch: "e") == nil)
        let maybeSecond = state.completeFill(
            id: first.id,
            result: HistoryResult(position: StreamPosition(offset: 7, epoch: "e"), publications: [Self.pub(2)])
        )
        let second = try #require(maybeSecond)
        #expect(second.since.offset == 3 && second.target == 5)
        #expect(state.completeFill(
            id: second.id,
            result: HistoryResult(position: StreamPosition(offset: 7, epoch: "e"), publications: [Self.pub(4), Self.pub(5)])
        ) == nil)
        #expect(try await self.drain(state) == Self.pubs(2...7))
    }

    @Test("holes still waiting in the buffer are fetched by one fill, not one history read each")
    func holesCoalesced() async throws {
        var state = self.active(at: 1)
        let maybeFirst = state.receive(Self.pub(3), epoch: "e")
        let first = try #require(maybeFirst)
        for offset: UInt64 in [5, 8, 9] { #expect(state.receive(Self.pub(offset), epoch: "e") == nil) }
        #expect(state.receiveGap(OffsetRange(from: 10, to: 11)) == nil)
        #expect(state.receive(Self.pub(12), epoch: "e") == nil)
        let maybeSecond = state.completeFill(
            id: first.id,
            result: HistoryResult(position: StreamPosition(offset: 12, epoch: "e"), publications: [Self.pub(2)])
        )
        let second = try #require(maybeSecond)
        #expect(second.since.offset == 3 && second.target == 11)
        let history = HistoryResult(position: StreamPosition(offset: 12, epoch: "e"), publications: (4...11).map { Self.pub($0) })
        #expect(state.completeFill(id: second.id, result: history) == nil)
        #expect(try await self.drain(state) == Self.pubs(2...12))
    }

    @Test("a publication of a new epoch is an epoch gap, then delivery continues from it")
    func epochChange() async throws {
        var state = self.active(at: 6)
        #expect(state.receive(Self.pub(3), epoch: "f") == nil)
        #expect(state.receive(Self.pub(4), epoch: "f") == nil)
        #expect(state.subscription.position == StreamPosition(offset: 4, epoch: "f"))
        let expected: [SubscriptionEvent] = [.gap(OffsetRange(from: 1, to: 2), reason: .epoch)] + Self.pubs(3...4, epoch: "f")
        #expect(try await self.drain(state) == expected)
    }

    @Test("subscribe results: recovered (duplicates dropped), trimmed (gap then the rest), epoch")
    func subscribeResults() async throws {
        var recovered = self.makeState(position: StreamPosition(offset: 3, epoch: "e"))
        _ = recovered.apply(SubscribeResult(
            channel: "chat:t", position: StreamPosition(offset: 5, epoch: "e"), recoverable: true, recovered: true,
            publications: [Self.pub(2), Self.pub(3), Self.pub(4), Self.pub(5)]
        ))
        #expect(try await self.drain(recovered) == Self.pubs(4...5))

        var trimmed = self.makeState(position: StreamPosition(offset: 3, epoch: "e"))
        _ = trimmed.apply(SubscribeResult(
            channel: "chat:t", position: StreamPosition(offset: 28, epoch: "e"), recoverable: true, recovered: false,
            reason: .trimmed, missing: OffsetRange(from: 4, to: 18), publications: (19...28).map { Self.pub($0) }
        ))
        #expect(trimmed.subscription.position == StreamPosition(offset: 28, epoch: "e"))
        let expected: [SubscriptionEvent] = [.gap(OffsetRange(from: 4, to: 18), reason: .trimmed)] + Self.pubs(19...28)
        #expect(try await self.drain(trimmed) == expected)

        var epoch = self.makeState(position: StreamPosition(offset: 3, epoch: "e"))
        _ = epoch.apply(SubscribeResult(
            channel: "chat:t", position: StreamPosition(offset: 5, epoch: "f"), recoverable: true, recovered: false,
            reason: .epoch
        ))
        #expect(epoch.subscription.position == StreamPosition(offset: 5, epoch: "f"))
        #expect(try await self.drain(epoch) == [.gap(OffsetRange(from: 1, to: 5), reason: .epoch)])
    }

    @Test("a subscribe result cut by the node (more) is completed from history before later pushes")
    func resultWithMore() async throws {
        var state = self.makeState(position: StreamPosition(offset: 3, epoch: "e"))
        var result = SubscribeResult(
            channel: "chat:t", position: StreamPosition(offset: 10, epoch: "e"), recoverable: true, recovered: true,
            publications: [Self.pub(4), Self.pub(5)]
        )
        result.more = true
        let maybeFill = state.apply(result)
        let fill = try #require(maybeFill)
        #expect(fill.since == StreamPosition(offset: 5, epoch: "e") && fill.target == 10)
        #expect(state.receive(Self.pub(11), epoch: "e") == nil)
        var page = HistoryResult(position: StreamPosition(offset: 11, epoch: "e"), publications: [Self.pub(6), Self.pub(7)])
        page.more = true
        let maybeNext = state.completeFill(id: fill.id, result: page)
        let next = try #require(maybeNext)
        #expect(next.since.offset == 7 && next.target == 10)
        let last = HistoryResult(position: StreamPosition(offset: 11, epoch: "e"), publications: (8...11).map { Self.pub($0) })
        #expect(state.completeFill(id: next.id, result: last) == nil)
        #expect(try await self.drain(state) == Self.pubs(4...11))
    }

    @Test("backoff caps double from min to max; delays stay within the cap")
    func backoff() {
        let backoff = Backoff(min: .milliseconds(100), max: .seconds(10))
        #expect(backoff.cap(attempt: 0) == .milliseconds(100))
        #expect(backoff.cap(attempt: 3) == .milliseconds(800))
        #expect(backoff.cap(attempt: 50) == .seconds(10))
        for attempt in 0..<10 {
            let delay = backoff.delay(attempt: attempt)
            #expect(delay >= .zero && delay <= backoff.cap(attempt: attempt))
        }
    }
}
