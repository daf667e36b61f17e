import Synchronization
import Testing
import TetherClient
import TetherProtocol

/// Token refresh, presence events and the stop/start lifecycle of TetherClient against a live node.
@Suite("TetherClient lifecycle", .timeLimit(.minutes(1)))
struct ClientLifecycleTests {
    typealias Support = ClientTestSupport

    @Test("tokens about to expire are refreshed through the provider: the node never closes with 3004")
    func tokenRefresh() async throws {
        let harness = try await NodeHarness.start(nodes: 1)
        let (calls, callsContinuation) = AsyncStream.makeStream(of: Int.self)
        let counter = Mutex(0)
        let configuration = TetherClient.Configuration(
            tokenProvider: {
                let call = counter.withLock { count -> Int in
                    count += 1
                    return count
                }
                callsContinuation.yield(call)
                // `exp` 1–2 s away (whole seconds): the node closes with 3004 soon after unless refreshed.
                return try await NodeHarness.token(user: "frank", expiresIn: .seconds(2))
            },
            backoff: Support.fastBackoff
        )
        let client = TetherClient(url: harness.url(0), configuration: configuration)
        let seen = Mutex<[ConnectionState]>([])
        let states = client.states
        let recorder = Task {
            for await state in states { seen.withLock { $0.append(state) } }
        }
        try await client.connect()
        // The 4th token is fetched well after the first one expired (each refresh comes at 80 % of the rest).
        _ = try await Support.within(.seconds(15), "four token fetches") {
            for await call in calls where call >= 4 { return call }
            throw Support.TimedOut(what: "token fetches (stream ended)")
        }
        try await client.ping()
        let history = seen.withLock { $0 }
        #expect(history.filter { $0 == .connecting }.count == 1)
        #expect(!history.dropFirst().contains { if case .disconnected = $0 { true } else { false } })
        await client.disconnect()
        recorder.cancel()
        await harness.stopAll()
    }

    @Test("join and leave of other connections arrive on the subscription")
    func joinLeave() async throws {
        let harness = try await NodeHarness.start(nodes: 1)
        let alice = TetherClient(url: harness.url(0), configuration: .init(token: try await NodeHarness.token(user: "alice")))
        let bob = TetherClient(url: harness.url(0), configuration: .init(token: try await NodeHarness.token(user: "bob")))
        try await alice.connect()
        try await bob.connect()
        let watched = try await alice.subscribe("chat:presence")
        let bobs = try await bob.subscribe("chat:presence")

        let joined = try await Self.firstEvent(on: watched) {
            if case .join(let info) = $0, info.user == "bob" { return true }
            return false
        }
        guard case .join(let bobInfo) = joined else { return }
        #expect(try await alice.presence("chat:presence").clients.map(\.user).sorted() == ["alice", "bob"])

        try await bobs.unsubscribe()
        let left = try await Self.firstEvent(on: watched) {
            if case .leave(let info) = $0, info.user == "bob" { return true }
            return false
        }
        #expect(left == .leave(ClientInfo(client: bobInfo.client, user: "bob")))
        await alice.disconnect()
        await bob.disconnect()
        await harness.stopAll()
    }

    @Test("disconnect ends subscriptions and fails requests; connect again starts a fresh session")
    func disconnectAndReconnect() async throws {
        let harness = try await NodeHarness.start(nodes: 1)
        let client = TetherClient(url: harness.url(0), configuration: .init(token: try await NodeHarness.token(user: "gina")))
        try await client.connect()
        guard case .connected(_, let firstSession, _) = client.state else {
            Issue.record("not connected")
            return
        }
        let subscription = try await client.subscribe("plain-life")
        await client.disconnect()
        #expect(client.state == .disconnected(code: 1000, reconnecting: false))
        var iterator = subscription.makeAsyncIterator()
        #expect(try await iterator.next() == nil)
        await #expect(throws: TetherClientError.notConnected) {
            _ = try await client.publish("plain-life", data: Support.data(1))
        }

        try await client.connect()
        guard case .connected(_, let secondSession, _) = client.state else {
            Issue.record("not connected again")
            return
        }
        #expect(secondSession != firstSession)
        let again = try await client.subscribe("plain-life")
        _ = try await client.publish("plain-life", data: Support.data(7))
        #expect(Support.numbers(try await Support.next(1, of: again)) == [7])
        await client.disconnect()
        await harness.stopAll()
    }

    @Test("calls waiting for a connection can be cancelled; disconnect fails a waiting connect")
    func cancellation() async throws {
        let client = TetherClient(url: Support.deadURL, configuration: .init(token: "t", backoff: Support.fastBackoff))
        let connecting = Task { try await client.connect() }
        _ = try await Support.wait(for: "connecting", in: client.states) { $0 == .connecting }
        let publish = Task { try await client.publish("chat:c", data: Support.data(1)) }
        let subscribe = Task { try await client.subscribe("chat:c") }
        publish.cancel()
        subscribe.cancel()
        await #expect(throws: CancellationError.self) { _ = try await publish.value }
        await #expect(throws: CancellationError.self) { _ = try await subscribe.value }
        await client.disconnect()
        await #expect(throws: TetherClientError.notConnected) { try await connecting.value }
    }

    /// The first event of `subscription` matching `predicate` (bounded).
    static func firstEvent(
        on subscription: Subscription,
        _ predicate: @escaping @Sendable (SubscriptionEvent) -> Bool
    ) async throws -> SubscriptionEvent {
        try await Support.within(.seconds(10), "an event on \(subscription.channel)") {
            var iterator = subscription.makeAsyncIterator()
            while let event = try await iterator.next() {
                if predicate(event) { return event }
            }
            throw Support.TimedOut(what: "an event (sequence ended)")
        }
    }
}
