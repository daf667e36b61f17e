import Testing
import TetherClient
import TetherCore
import TetherProtocol

/// A client that stops reading its socket for a while under the `gap` slow-consumer policy: what the node
/// could not send is filled from history (in pages), exactly once and in order.
@Suite("TetherClient slow consumer", .timeLimit(.minutes(1)))
struct ClientSlowConsumerTests {
    typealias Support = ClientTestSupport

    /// Far more than the kernel buffers and the node's 1 MiB outbound queue hold.
    static let count = 600
    static let padding = String(repeating: "p", count: 16_000)

    static func payload(_ n: Int) -> RawJSON {
        RawJSON(unchecked: "{\"n\":\(n),\"pad\":\"\(Self.padding)\"}")
    }

    static func harness() async throws -> NodeHarness {
        try await NodeHarness.start(nodes: 1) { configuration in
            configuration.namespaces["lossy"] = NamespaceOptions(historySize: 1000, allowPublish: true, slowConsumer: .gap)
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
        // The node sends the gap push before the next publication that fits.
        for n in (Self.count + 1)...(Self.count + 10) {
            _ = try await harness.node(0).publish(channel: "lossy:x", data: Self.payload(n), key: nil)
        }

        let events = try await Support.next(Self.count + 10, of: subscription, within: .seconds(40))
        #expect(Support.numbers(events) == Array(1...(Self.count + 10)))
        #expect(transport.sent.contains { $0.contains("\"op\":\"history\"") })
        await client.disconnect()
        var seen: [ConnectionState] = []
        for await state in states { seen.append(state) }
        #expect(!seen.contains(.disconnected(code: 3003, reconnecting: true)))
        await harness.stopAll()
    }
}
