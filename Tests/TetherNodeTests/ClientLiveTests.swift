import Synchronization
import Testing
@_spi(Testing) import TetherClient
import TetherProtocol

/// The Swift client against real nodes (NodeHarness: Hummingbird on loopback, one shared memory engine).
/// Channels without a namespace (`plain-…`) have no presence, so reconnects add no join/leave events.
@Suite("TetherClient live", .timeLimit(.minutes(1)))
struct ClientLiveTests {
    typealias Support = ClientTestSupport

    static func client(
        _ url: String,
        user: String = "alice",
        configure: (inout TetherClient.Configuration) -> Void = { _ in }
    ) async throws -> TetherClient {
        var configuration = TetherClient.Configuration(token: try await NodeHarness.token(user: user), backoff: Support.fastBackoff)
        configure(&configuration)
        return TetherClient(url: url, configuration: configuration)
    }

    @Test("connect, subscribe, publish: the subscriber gets each publication once, in order")
    func roundTrip() async throws {
        let harness = try await NodeHarness.start(nodes: 1)
        let client = try await Self.client(harness.url(0))
        try await client.connect()
        let subscription = try await client.subscribe("chat:round")
        #expect(subscription.position?.offset == 0)

        var offsets: [UInt64] = []
        for n in 1...3 {
            let result = try await client.publish("chat:round", data: Support.data(n))
            #expect(!result.duplicate)
            offsets.append(result.position.offset)
        }
        #expect(offsets == [1, 2, 3])
        let events = try await Support.next(3, of: subscription)
        #expect(Support.numbers(events) == [1, 2, 3])
        #expect(Support.offsets(events) == [1, 2, 3])
        #expect(subscription.position?.offset == 3)

        let history = try await client.history("chat:round")
        #expect(history.publications.map(\.offset) == [1, 2, 3])
        let stats = try await client.presenceStats("chat:round")
        #expect(stats.clients == 1 && stats.users == 1)
        let presence = try await client.presence("chat:round")
        #expect(presence.clients.map(\.user) == ["alice"])

        // Too large for the node's 64 KiB message limit: refused locally (112), the connection stays up.
        let huge = RawJSON(unchecked: "\"" + String(repeating: "x", count: 70_000) + "\"")
        let tooLarge = await #expect(throws: ProtocolError.self) {
            _ = try await client.publish("chat:round", data: huge)
        }
        #expect(tooLarge?.code == .messageTooLarge)
        try await client.ping()
        await #expect(throws: ProtocolError.self) { _ = try await client.subscribe("chat:round") }
        await #expect(throws: ProtocolError.self) { _ = try await client.subscribe("nope:x") }

        try await subscription.unsubscribe()
        var iterator = subscription.makeAsyncIterator()
        #expect(try await iterator.next() == nil)
        await client.disconnect()
        await harness.stopAll()
    }

    @Test("socket dropped: reconnects with a fresh token, resumes the session, delivers what was missed exactly once in order")
    func recoveryAfterDroppedSocket() async throws {
        let harness = try await NodeHarness.start(nodes: 1)
        let box = ClientURLBox(harness.url(0))
        let tokens = Mutex(0)
        let configuration = TetherClient.Configuration(
            tokenProvider: {
                tokens.withLock { $0 += 1 }
                return try await NodeHarness.token(user: "bob")
            },
            backoff: Support.fastBackoff
        )
        let client = TetherClient(urlProvider: { _ in box.value }, configuration: configuration)
        let states = client.states
        try await client.connect()
        guard case .connected(_, let session, _) = client.state else {
            Issue.record("not connected")
            return
        }
        let subscription = try await client.subscribe("plain-drop")
        for n in 1...5 { _ = try await harness.node(0).publish(channel: "plain-drop", data: Support.data(n), key: nil) }
        #expect(Support.numbers(try await Support.next(5, of: subscription)) == Array(1...5))

        box.value = Support.deadURL
        await client.simulateConnectionLoss()
        _ = try await Support.wait(for: "the loss", in: states) { $0 == .disconnected(code: 1006, reconnecting: true) }
        for n in 6...20 { _ = try await harness.node(0).publish(channel: "plain-drop", data: Support.data(n), key: nil) }
        box.value = harness.url(0)
        let resumed = try await Support.wait(for: "the resume", in: states) {
            if case .connected = $0 { return true }
            return false
        }
        guard case .connected(_, let resumedSession, _) = resumed else { return }
        #expect(resumedSession == session)
        for n in 21...30 { _ = try await harness.node(0).publish(channel: "plain-drop", data: Support.data(n), key: nil) }

        let events = try await Support.next(25, of: subscription)
        #expect(Support.numbers(events) == Array(6...30))
        #expect(Support.offsets(events) == Array(6...30))
        #expect(tokens.withLock { $0 } >= 2)
        await client.disconnect()
        await harness.stopAll()
    }

    @Test("the node goes away: the client resumes its session on another node sharing the engine")
    func resumeOnAnotherNode() async throws {
        let harness = try await NodeHarness.start(nodes: 2)
        let client = TetherClient(
            urls: [harness.url(0), harness.url(1)],
            configuration: .init(token: try await NodeHarness.token(user: "carol"), backoff: Support.fastBackoff)
        )
        let states = client.states
        try await client.connect()
        guard case .connected(_, let session, "n0") = client.state else {
            Issue.record("expected to be on n0, got \(client.state)")
            return
        }
        let subscription = try await client.subscribe("plain-move")
        for n in 1...5 { _ = try await harness.node(1).publish(channel: "plain-move", data: Support.data(n), key: nil) }
        #expect(Support.numbers(try await Support.next(5, of: subscription)) == Array(1...5))

        await harness.stop(0)
        for n in 6...15 { _ = try await harness.node(1).publish(channel: "plain-move", data: Support.data(n), key: nil) }
        let moved = try await Support.wait(for: "connected to n1", in: states) {
            if case .connected(_, _, "n1") = $0 { return true }
            return false
        }
        guard case .connected(_, let movedSession, _) = moved else { return }
        #expect(movedSession == session)
        for n in 16...20 { _ = try await harness.node(1).publish(channel: "plain-move", data: Support.data(n), key: nil) }

        let events = try await Support.next(15, of: subscription)
        #expect(Support.numbers(events) == Array(6...20))
        #expect(Support.offsets(events) == Array(6...20))
        // Requests work on the new node.
        let result = try await client.publish("plain-move", data: Support.data(21))
        #expect(result.position.offset == 21)
        #expect(Support.numbers(try await Support.next(1, of: subscription)) == [21])
        await client.disconnect()
        await harness.stopAll()
    }

    @Test("missed more than history holds: recovered:false surfaces as an exact trimmed gap, then the rest")
    func trimmedRecoveryIsAGap() async throws {
        let harness = try await NodeHarness.start(nodes: 1)
        let box = ClientURLBox(harness.url(0))
        let token = try await NodeHarness.token(user: "dave")
        let client = TetherClient(
            urlProvider: { _ in box.value },
            configuration: .init(token: token, backoff: Support.fastBackoff)
        )
        let states = client.states
        try await client.connect()
        let subscription = try await client.subscribe("feed:news")
        for n in 1...3 { _ = try await harness.node(0).publish(channel: "feed:news", data: Support.data(n), key: nil) }
        #expect(Support.numbers(try await Support.next(3, of: subscription)) == [1, 2, 3])

        box.value = Support.deadURL
        await client.simulateConnectionLoss()
        _ = try await Support.wait(for: "the loss", in: states) { $0 == .disconnected(code: 1006, reconnecting: true) }
        // 25 more while away; `feed` keeps 10, so 19…28 are held and 4…18 are gone.
        for n in 4...28 { _ = try await harness.node(0).publish(channel: "feed:news", data: Support.data(n), key: nil) }
        box.value = harness.url(0)

        let events = try await Support.next(11, of: subscription)
        guard case .gap(let range, let reason) = events.first else {
            Issue.record("expected a gap first, got \(String(describing: events.first))")
            return
        }
        #expect(range == OffsetRange(from: 4, to: 18))
        #expect(reason == .trimmed)
        #expect(Support.offsets(Array(events.dropFirst())) == Array(19...28))
        #expect(subscription.position?.offset == 28)
        await client.disconnect()
        await harness.stopAll()
    }

    @Test("a publish whose reply is lost is re-sent with the same key after the resume: one publication, same offset")
    func idempotentPublishRetry() async throws {
        let harness = try await NodeHarness.start(nodes: 1)
        let client = try await Self.client(harness.url(0), user: "erin")
        try await client.connect()
        let subscription = try await client.subscribe("plain-idem")

        await client.dropConnectionOnNextPublishReply()
        let retried = try await client.publish("plain-idem", data: Support.data(1))
        #expect(retried.position.offset == 1)
        #expect(retried.duplicate)

        let explicit = try await client.publish("plain-idem", data: Support.data(2), key: "fixed-key")
        let again = try await client.publish("plain-idem", data: Support.data(2), key: "fixed-key")
        #expect(explicit.position == again.position)
        #expect(!explicit.duplicate && again.duplicate)
        #expect(explicit.position.offset == 2)

        let history = try await client.history("plain-idem")
        #expect(history.publications.map(\.offset) == [1, 2])
        #expect(Support.numbers(try await Support.next(2, of: subscription)) == [1, 2])
        await client.disconnect()
        await harness.stopAll()
    }

    @Test("a bad token is final: connect throws 3500/101, one attempt, no reconnect loop")
    func badTokenIsFinal() async throws {
        let harness = try await NodeHarness.start(nodes: 1)
        let client = TetherClient(
            url: harness.url(0),
            configuration: .init(token: "not-a-token", backoff: Support.fastBackoff)
        )
        let states = client.states
        let seen = Task {
            var seen: [ConnectionState] = []
            for await state in states { seen.append(state) }
            return seen
        }
        do {
            try await client.connect()
            Issue.record("connect succeeded with a bad token")
        } catch let TetherClientError.closed(code, _, error) {
            #expect(code == 3500)
            #expect(error?.code == .unauthorized)
        }
        // The state stream ends when the client stops for good; it must have tried exactly once.
        let history = try await Support.within(.seconds(5), "the states stream to end") { await seen.value }
        #expect(history.filter { $0 == .connecting }.count == 1)
        #expect(history.last == .disconnected(code: 3500, reconnecting: false))
        #expect(await client.isRunning == false)
        await #expect(throws: TetherClientError.notConnected) {
            _ = try await client.publish("chat:x", data: Support.data(1))
        }
        await harness.stopAll()
    }
}
