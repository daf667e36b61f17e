import Testing
@_spi(Testing) import TetherClient
import TetherProtocol

/// Publications that never reach the client (dropped by a filtering transport, deterministically) are
/// fetched from the node's history: after a `gap` push, after an unannounced hole, after a resume whose
/// recovery did not fit in one frame (`more`), and reported as an exact trimmed gap when history no longer
/// has them.
@Suite("TetherClient hole filling", .timeLimit(.minutes(1)))
struct ClientHoleFillTests {
    typealias Support = ClientTestSupport

    static func client(_ harness: NodeHarness, _ transport: ClientGatedTransport) async throws -> TetherClient {
        TetherClient(
            url: harness.url(0),
            configuration: .init(token: try await NodeHarness.token(user: "hole"), backoff: Support.fastBackoff),
            transport: transport
        )
    }

    static func historyReads(_ transport: ClientGatedTransport) -> Int {
        transport.sent.filter { $0.contains("\"op\":\"history\"") }.count
    }

    @Test("a gap push is filled from history before the publications after it", arguments: [true, false])
    func filledFromHistory(announced: Bool) async throws {
        let harness = try await NodeHarness.start(nodes: 1)
        let filter = ClientPushFilter(channel: "plain-hole", dropping: 5...12, announce: announced)
        let transport = ClientGatedTransport(rewrite: { filter.rewrite($0) })
        let client = try await Self.client(harness, transport)
        try await client.connect()
        let subscription = try await client.subscribe("plain-hole")
        for n in 1...20 { _ = try await harness.node(0).publish(channel: "plain-hole", data: Support.data(n), key: nil) }

        let events = try await Support.next(20, of: subscription)
        #expect(Support.numbers(events) == Array(1...20))
        #expect(Support.offsets(events) == Array(1...20))
        #expect(Self.historyReads(transport) == 1)
        await client.disconnect()
        await harness.stopAll()
    }

    @Test("a resume whose recovered publications do not fit one frame (more) is completed from history")
    func recoveryWithMore() async throws {
        let harness = try await NodeHarness.start(nodes: 1)
        let box = ClientURLBox(harness.url(0))
        let transport = ClientGatedTransport()
        let client = TetherClient(
            urlProvider: { _ in box.value },
            configuration: .init(token: try await NodeHarness.token(user: "more"), backoff: Support.fastBackoff),
            transport: transport
        )
        let states = client.states
        try await client.connect()
        let subscription = try await client.subscribe("plain-more")
        _ = try await harness.node(0).publish(channel: "plain-more", data: Support.data(1), key: nil)
        #expect(Support.numbers(try await Support.next(1, of: subscription)) == [1])

        box.value = Support.deadURL
        await client.simulateConnectionLoss()
        _ = try await Support.wait(for: "the loss", in: states) { $0 == .disconnected(code: 1006, reconnecting: true) }
        // 40 × 16 KB while away: far more than one 64 KiB frame.
        let padding = String(repeating: "q", count: 16_000)
        for n in 2...41 {
            let data = RawJSON(unchecked: "{\"n\":\(n),\"pad\":\"\(padding)\"}")
            _ = try await harness.node(0).publish(channel: "plain-more", data: data, key: nil)
        }
        box.value = harness.url(0)
        let events = try await Support.next(40, of: subscription)
        #expect(Support.numbers(events) == Array(2...41))
        #expect(Self.historyReads(transport) >= 1)
        await client.disconnect()
        await harness.stopAll()
    }

    @Test("a hole history no longer covers becomes an exact trimmed gap in its place")
    func trimmedHole() async throws {
        let harness = try await NodeHarness.start(nodes: 1)
        let filter = ClientPushFilter(channel: "feed:hole", dropping: 3...25, announce: false)
        let transport = ClientGatedTransport(rewrite: { filter.rewrite($0) })
        let client = try await Self.client(harness, transport)
        try await client.connect()
        let subscription = try await client.subscribe("feed:hole")
        for n in 1...2 { _ = try await harness.node(0).publish(channel: "feed:hole", data: Support.data(n), key: nil) }
        #expect(Support.numbers(try await Support.next(2, of: subscription)) == [1, 2])

        // Everything is published before the client sees any of it, so what history holds is known: `feed`
        // keeps 10, i.e. 21…30.
        transport.closeGate()
        for n in 3...30 { _ = try await harness.node(0).publish(channel: "feed:hole", data: Support.data(n), key: nil) }
        transport.openGate()

        let events = try await Support.next(11, of: subscription)
        #expect(events.first == .gap(OffsetRange(from: 3, to: 20), reason: .trimmed))
        #expect(Support.offsets(Array(events.dropFirst())) == Array(21...30))
        #expect(Self.historyReads(transport) >= 1)
        await client.disconnect()
        await harness.stopAll()
    }
}
