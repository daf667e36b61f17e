import Testing
import TetherClient
import TetherCore
import TetherProtocol

/// A client that stops reading its socket for a while under the `gap` slow-consumer policy: what the node
/// could not send is filled from history (in pages), exactly once and in order.
@Suite("TetherClient slow consumer", .timeLimit(.minutes(1)))
struct ClientSlowConsumerTests {
    typealias Support = ClientTestSupport

    /// 32 MB: far more than the socket buffers (send buffers autotune up to 4 MB here), both sides' NIO
    /// buffers and the node's 1 MiB outbound queue hold, so the node has to drop publications.
    static let count = 2000
    static let padding = String(repeating: "p", count: 16_000)

    static func payload(_ n: Int) -> RawJSON {
        RawJSON(unchecked: "{\"n\":\(n),\"pad\":\"\(Self.padding)\"}")
    }

    static func harness() async throws -> NodeHarness {
        try await NodeHarness.start(nodes: 1) { configuration in
            configuration.namespaces["lossy"] = NamespaceOptions(historySize: 2500, allowPublish: true, slowConsumer: .gap)
        }
    }

    @Test("gap policy: the node skips what does not fit and sends gap pushes; the client fills them from history")
    func gapPolicy() async throws {
        let harness = try await Self.harness()
        let transport = ClientGatedTransport()
        let client = TetherClient(
            url: harness.url(0),
            configuration: .init(token: try await NodeHarness.token(user: "slow"), backoff: Support.fastBackoff),
            transport: transport
        )
        let states = client.states
        try await client.connect()
        let subscription = try await client.subscribe("lossy:x")

        transport.closeGate()
        for n in 1...Self.count {
            _ = try await harness.node(0).publish(channel: "lossy:x", data: Self.payload(n), key: nil)
        }
        transport.openGate()
        // The node announces a gap only with the next publication that fits its queue, so keep publishing
        // markers until the client has everything up to the latest one.
        var last = Self.count
        for _ in 0..<100 {
            last += 1
            _ = try await harness.node(0).publish(channel: "lossy:x", data: Self.payload(last), key: nil)
            let target = UInt64(last)
            if await Support.eventually(within: .milliseconds(500), { (subscription.position?.offset ?? 0) >= target }) { break }
        }

        let events = try await Support.next(last, of: subscription, within: .seconds(30))
        #expect(Support.numbers(events) == Array(1...last))
        #expect(transport.sent.contains { $0.contains("\"op\":\"history\"") })
        await client.disconnect()
        var seen: [ConnectionState] = []
        for await state in states { seen.append(state) }
        #expect(!seen.contains(.disconnected(code: 3003, reconnecting: true)))
        await harness.stopAll()
    }
}
