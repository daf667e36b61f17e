import Testing
import TetherCore
import TetherProtocol

/// The node over real sockets: the protocol's guarantees as a client sees them (docs/protocol.md).
@Suite("Node over WebSocket")
struct NodeLiveTests {
    private func connected(_ harness: NodeHarness, node: Int = 0, user: String = "alice", extra: String = "") async throws -> (NodeProtocolClient, ConnectResult) {
        let client = try await NodeProtocolClient.connect(port: harness.port(node))
        let token = try await NodeHarness.token(user: user)
        let reply = try await client.call(#"{"id":1,"op":"connect","token":"\#(token)"\#(extra)}"#, id: 1)
        return (client, try ConnectResult(json: try reply.result()))
    }

    private func publishViaAPI(_ harness: NodeHarness, channel: String, count: Int, from: Int = 1) async throws {
        for index in from..<(from + count) {
            _ = try await harness.node(0).publish(channel: channel, data: RawJSON(unchecked: #"{"n":\#(index)}"#), key: nil)
        }
    }

    @Test("connect, subscribe, publish: the publisher gets its offset and every subscriber the pub push")
    func roundTrip() async throws {
        let harness = try await NodeHarness.start()
        let (client, connect) = try await self.connected(harness)
        #expect(connect.node == "n0")
        #expect(connect.session.hasPrefix("s-"))
        let subscribed = try SubscribeResult(json: try await client.call(#"{"id":2,"op":"subscribe","channel":"chat:lobby"}"#, id: 2).result())
        #expect(subscribed.position.offset == 0)
        #expect(subscribed.recovered == nil)
        let published = try PublishResult(json: try await client.call(#"{"id":3,"op":"publish","channel":"chat:lobby","data":{"text":"hi"}}"#, id: 3).result())
        #expect(published.position == StreamPosition(offset: 1, epoch: subscribed.position.epoch))
        var push = try await client.push()
        if case .join = push { push = try await client.push() }
        guard case .pub(let channel, let epoch, let publication) = push else { throw TestFailure("expected pub, got \(push)") }
        #expect(channel == "chat:lobby")
        #expect(epoch == subscribed.position.epoch)
        #expect(publication.offset == 1)
        #expect(publication.data.text == #"{"text":"hi"}"#)
        #expect(publication.info?.user == "alice")
        await harness.stopAll()
    }

    @Test("subscribe since a position replays exactly the missed publications, in order")
    func recovery() async throws {
        let harness = try await NodeHarness.start()
        let (first, _) = try await self.connected(harness)
        let subscribed = try SubscribeResult(json: try await first.call(#"{"id":2,"op":"subscribe","channel":"feed:a"}"#, id: 2).result())
        try await first.socket.close()
        try await self.publishViaAPI(harness, channel: "feed:a", count: 5)
        let (second, _) = try await self.connected(harness)
        let epoch = subscribed.position.epoch
        let recovered = try SubscribeResult(json: try await second.call(
            #"{"id":2,"op":"subscribe","channel":"feed:a","since":{"offset":2,"epoch":"\#(epoch)"}}"#, id: 2).result())
        #expect(recovered.recovered == true)
        #expect(recovered.publications?.map(\.offset) == [3, 4, 5])
        #expect(recovered.publications?.map(\.data.text) == [#"{"n":3}"#, #"{"n":4}"#, #"{"n":5}"#])
        #expect(recovered.position.offset == 5)
        // Live delivery continues right after the replay.
        try await self.publishViaAPI(harness, channel: "feed:a", count: 1, from: 6)
        guard case .pub(_, _, let next) = try await second.push() else { throw TestFailure("expected pub") }
        #expect(next.offset == 6)
        await harness.stopAll()
    }

    @Test("beyond the history window: recovered false with the exact missing range and what is still held")
    func recoveryWindowExceeded() async throws {
        let harness = try await NodeHarness.start()
        let (client, _) = try await self.connected(harness)
        let subscribed = try SubscribeResult(json: try await client.call(#"{"id":2,"op":"subscribe","channel":"feed:b"}"#, id: 2).result())
        _ = try await client.call(#"{"id":3,"op":"unsubscribe","channel":"feed:b"}"#, id: 3).result()
        try await self.publishViaAPI(harness, channel: "feed:b", count: 15)
        let epoch = subscribed.position.epoch
        let result = try SubscribeResult(json: try await client.call(
            #"{"id":4,"op":"subscribe","channel":"feed:b","since":{"offset":0,"epoch":"\#(epoch)"}}"#, id: 4).result())
        #expect(result.recovered == false)
        #expect(result.reason == .trimmed)
        #expect(result.missing == OffsetRange(from: 1, to: 5))
        #expect(result.publications?.map(\.offset) == Array(6...15))
        // Another epoch: the client must resync.
        let other = try SubscribeResult(json: try await client.call(
            #"{"id":5,"op":"subscribe","channel":"feed:c","since":{"offset":3,"epoch":"not-this-one"}}"#, id: 5).result())
        #expect(other.recovered == false)
        #expect(other.reason == .epoch)
        #expect(other.missing == nil)
        await harness.stopAll()
    }

    @Test("a session resumes on a different node sharing the engine, recovering each channel")
    func resumeOnAnotherNode() async throws {
        let harness = try await NodeHarness.start(nodes: 2)
        let (first, connect) = try await self.connected(harness, node: 0)
        let subscribed = try SubscribeResult(json: try await first.call(#"{"id":2,"op":"subscribe","channel":"feed:r"}"#, id: 2).result())
        try await first.socket.close()
        // The session's stored position is what the node last sent; publish only once it has seen the close.
        try await waitUntil { harness.node(0).connectionCount == 0 }
        try await self.publishViaAPI(harness, channel: "feed:r", count: 3)
        let epoch = subscribed.position.epoch
        let (_, resumed) = try await self.connected(harness, node: 1, extra: #","session":"\#(connect.session)""#)
        #expect(resumed.resumed)
        #expect(resumed.session == connect.session)
        #expect(resumed.node == "n1")
        let feed = try #require(resumed.subs.first { $0.channel == "feed:r" })
        #expect(feed.recovered == true)
        #expect(feed.publications?.map(\.offset) == [1, 2, 3])
        #expect(feed.position == StreamPosition(offset: 3, epoch: epoch))
        // Another user cannot take the session over.
        let (_, stranger) = try await self.connected(harness, node: 1, user: "mallory", extra: #","session":"\#(connect.session)""#)
        #expect(!stranger.resumed)
        #expect(stranger.session != connect.session)
        #expect(stranger.subs.isEmpty)
        await harness.stopAll()
    }

    @Test("an idempotent publish repeated with its key returns the first offset and delivers once")
    func idempotentPublish() async throws {
        let harness = try await NodeHarness.start()
        let (client, _) = try await self.connected(harness)
        _ = try await client.call(#"{"id":2,"op":"subscribe","channel":"feed:i"}"#, id: 2).result()
        let command = #"{"id":ID,"op":"publish","channel":"feed:i","data":1,"key":"k-1"}"#
        // `feed` does not allow client publishes: the server API path is used for the repeat check.
        let refused = try await client.call(command.replacingOccurrences(of: "ID", with: "3"), id: 3).error()
        #expect(refused.code == .permissionDenied)
        let first = try await harness.node(0).publish(channel: "feed:i", data: RawJSON(unchecked: "1"), key: "k-1")
        let again = try await harness.node(0).publish(channel: "feed:i", data: RawJSON(unchecked: "1"), key: "k-1")
        #expect(!first.duplicate)
        #expect(again.duplicate)
        #expect(again.position == first.position)
        let marker = try await harness.node(0).publish(channel: "feed:i", data: RawJSON(unchecked: "2"), key: nil)
        guard case .pub(_, _, let one) = try await client.push(), case .pub(_, _, let two) = try await client.push() else {
            throw TestFailure("expected two pubs")
        }
        #expect([one.offset, two.offset] == [first.position.offset, marker.position.offset])
        await harness.stopAll()
    }

    @Test("refusals carry their documented codes")
    func refusals() async throws {
        let harness = try await NodeHarness.start()
        // A bad token: error 101, then close 3500.
        let bad = try await NodeProtocolClient.connect(port: harness.port(0))
        let refused = try await bad.call(#"{"id":1,"op":"connect","token":"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}"#, id: 1).error()
        #expect(refused.code == .unauthorized)
        #expect(try await bad.closeCode() == 3500)
        // Not JSON: close 3501.
        let garbage = try await NodeProtocolClient.connect(port: harness.port(0))
        try await garbage.send("this is not json")
        #expect(try await garbage.closeCode() == 3501)
        // A command before connect: close 3501.
        let early = try await NodeProtocolClient.connect(port: harness.port(0))
        try await early.send(#"{"id":1,"op":"ping"}"#)
        #expect(try await early.closeCode() == 3501)
        // Unknown op, bad channel, unknown namespace, not subscribed: errors, connection stays open.
        let (client, _) = try await self.connected(harness)
        #expect(try await client.call(#"{"id":2,"op":"teleport"}"#, id: 2).error().code == .unknownOp)
        #expect(try await client.call(#"{"id":3,"op":"subscribe","channel":"bad channel!"}"#, id: 3).error().code == .invalidChannel)
        #expect(try await client.call(#"{"id":4,"op":"subscribe","channel":"nope:x"}"#, id: 4).error().code == .unknownNamespace)
        #expect(try await client.call(#"{"id":5,"op":"unsubscribe","channel":"chat:x"}"#, id: 5).error().code == .notSubscribed)
        #expect(try await client.call(#"{"id":6,"op":"subscribe","channel":"private:x"}"#, id: 6).error().code == .permissionDenied)
        #expect(try await client.call(#"{"id":7,"op":"connect"}"#, id: 7).error().code == .alreadyConnected)
        _ = try await client.call(#"{"id":8,"op":"ping"}"#, id: 8).result()
        // An oversized frame: close 1009.
        let big = String(repeating: "x", count: 70_000)
        try await client.send(#"{"id":9,"op":"publish","channel":"chat:a","data":"\#(big)"}"#)
        #expect(try await client.closeCode() == 1009)
        await harness.stopAll()
    }

    @Test("an embedding application's authorizer decides subscriptions; token claims decide `private`")
    func authorizerAndClaims() async throws {
        let harness = try await NodeHarness.start(nodes: 0)
        try await harness.startNode(name: "n0", authorizer: { user, channel, _ in user == "alice" && channel == "room:a" }) {
            $0.namespaces["room"] = NamespaceOptions(presence: true, subscribe: .authorizer)
        }
        let (alice, _) = try await self.connected(harness, user: "alice")
        _ = try await alice.call(#"{"id":2,"op":"subscribe","channel":"room:a"}"#, id: 2).result()
        #expect(try await alice.call(#"{"id":3,"op":"subscribe","channel":"room:b"}"#, id: 3).error().code == .permissionDenied)
        let (bob, _) = try await self.connected(harness, user: "bob")
        #expect(try await bob.call(#"{"id":2,"op":"subscribe","channel":"room:a"}"#, id: 2).error().code == .permissionDenied)
        // Presence is for those who may subscribe.
        #expect(try await bob.call(#"{"id":3,"op":"presence","channel":"room:a"}"#, id: 3).error().code == .permissionDenied)
        _ = try await alice.call(#"{"id":4,"op":"presence","channel":"room:a"}"#, id: 4).result()
        // `private` grants by the token's `channels` claim, with a trailing wildcard.
        let client = try await NodeProtocolClient.connect(port: harness.port(0))
        let token = try await NodeHarness.token(user: "carol", channels: ["private:carol-*"])
        _ = try await client.call(#"{"id":1,"op":"connect","token":"\#(token)"}"#, id: 1).result()
        _ = try await client.call(#"{"id":2,"op":"subscribe","channel":"private:carol-inbox"}"#, id: 2).result()
        #expect(try await client.call(#"{"id":3,"op":"subscribe","channel":"private:dave-inbox"}"#, id: 3).error().code == .permissionDenied)
        await harness.stopAll()
    }

    @Test("graceful shutdown tells clients to reconnect elsewhere with 3001 and a delay")
    func shutdown() async throws {
        let harness = try await NodeHarness.start()
        let (client, _) = try await self.connected(harness)
        await harness.stop(0)
        guard case .disconnect(let code, _, let reconnect, let delay) = try await client.push() else { throw TestFailure("expected disconnect") }
        #expect(code == 3001)
        #expect(reconnect)
        #expect(delay != nil)
        #expect(try await client.closeCode() == 3001)
    }
}

/// Polls `condition` every 10 ms for up to `timeout`.
func waitUntil(timeout: Duration = .seconds(5), _ condition: @Sendable () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TestFailure("condition not met within \(timeout)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}
