import MetricsTestKit
import NIOPosix
import Testing
import TetherCore
import TetherProtocol
import TetherRedis
import TetherRedisEngine
import TetherTesting

/// What the Redis engine does when Redis goes away, drops its pub/sub connection or restarts.
@Suite struct RedisEngineFailureTests {
    typealias Support = RedisEngineTestSupport

    @Test func publishesFailFastWithATemporaryErrorWhileRedisIsDown() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let engine = Support.engine(server)
        let broker = try await engine.makeBroker(node: "a", sink: RecordingSink())
        _ = try await Support.publish(broker, "down", 1)
        await server.kill()
        let started = ContinuousClock.now
        await #expect(throws: EngineError.self) { _ = try await Support.publish(broker, "down", 2) }
        do {
            _ = try await Support.publish(broker, "down", 3)
            Issue.record("a publish succeeded while Redis was down")
        } catch let error as EngineError {
            if case .unavailable = error {} else { Issue.record("expected unavailable, got \(error)") }
        }
        #expect(ContinuousClock.now - started < .seconds(3), "failing took \(ContinuousClock.now - started)")
        await broker.close()
        await engine.shutdown()
    }

    @Test func aDroppedPubSubConnectionIsCaughtUpFromTheStreamInOrder() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        // The pub/sub connection comes back after 300 ms: most of what follows is published while it is away.
        let metrics = TestMetrics()
        let engine = Support.engine(server, reconnectAfter: .milliseconds(300), metrics: metrics)
        let sink = RecordingSink()
        let subscriber = try await engine.makeBroker(node: "sub", sink: sink)
        let publisher = try await engine.makeBroker(node: "pub", sink: RecordingSink())
        try await subscriber.subscribe("feed")
        for n in 1...20 { _ = try await Support.publish(publisher, "feed", n) }
        #expect(try await Support.eventually { sink.publications("feed").count == 20 })

        // Kill the subscriber's pub/sub connection and publish while it reconnects.
        let admin = RedisClient(configuration: RedisConfiguration(port: server.port), eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: Support.logger)
        let killed = try await admin.send("CLIENT", "KILL", "TYPE", "pubsub")
        #expect((killed.int ?? 0) >= 2)
        for n in 21...200 { _ = try await Support.publish(publisher, "feed", n) }

        #expect(try await Support.eventually { sink.publications("feed").count >= 200 })
        let received = sink.publications("feed")
        #expect(received.map(\.offset) == Array(1...200).map(UInt64.init), "offsets out of order, missing or repeated")
        #expect(received.map(\.data) == (1...200).map { "{\"n\":\($0)}" })
        #expect(Set(received.map(\.epoch)).count == 1)
        // Both brokers' pub/sub connections were killed and came back; every publish was timed.
        #expect(metrics.counters(label: "tether_redis_pubsub_reconnects_total").map(\.totalValue).reduce(0, +) == 2)
        #expect(try metrics.expectTimer("tether_redis_call_seconds", [("call", "publish")]).values.count == 200)
        await admin.shutdown()
        await subscriber.close()
        await publisher.close()
        await engine.shutdown()
    }

    @Test func aRestartWithPersistenceKeepsEveryAcknowledgedPublicationAndTheEpoch() async throws {
        let server = try await RedisServerProcess.start(.init(appendOnly: true))
        defer { server.cleanup() }
        let engine = Support.engine(server)
        let sink = RecordingSink()
        let subscriber = try await engine.makeBroker(node: "sub", sink: sink)
        let publisher = try await engine.makeBroker(node: "pub", sink: RecordingSink())
        try await subscriber.subscribe("kept")
        var acknowledged: [UInt64: Int] = [:]
        var epochs: Set<String> = []
        for n in 1...30 {
            let result = try await Support.publish(publisher, "kept", n)
            acknowledged[result.position.offset] = n
            epochs.insert(result.position.epoch)
        }
        try await server.restart()
        // Publish again as soon as Redis answers (the client reconnects by itself); failures are retried.
        for n in 31...60 {
            let result = try await Self.retrying { try await Support.publish(publisher, "kept", n) }
            acknowledged[result.position.offset] = n
            epochs.insert(result.position.epoch)
        }
        #expect(epochs.count == 1, "the epoch changed although Redis kept the data")
        #expect(acknowledged.keys.sorted() == Array(1...60).map(UInt64.init))
        let history = try await publisher.history(EngineHistoryRequest(channel: "kept", after: 0, limit: 100, options: Support.options()))
        #expect(history.publications.map(\.offset) == Array(1...60).map(UInt64.init))
        // The subscriber missed nothing either: what it did not get live it caught up from the stream.
        #expect(try await Support.eventually { sink.publications("kept").count == 60 })
        #expect(sink.publications("kept").map(\.offset) == Array(1...60).map(UInt64.init))
        await subscriber.close()
        await publisher.close()
        await engine.shutdown()
    }

    @Test func aRestartThatLostTheDataStartsANewEpochThatSubscribersSee() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let engine = Support.engine(server)
        let sink = RecordingSink()
        let subscriber = try await engine.makeBroker(node: "sub", sink: sink)
        let publisher = try await engine.makeBroker(node: "pub", sink: RecordingSink())
        try await subscriber.subscribe("lost")
        let before = try await Support.publish(publisher, "lost", 1)
        try await server.restart()
        let after = try await Self.retrying { try await Support.publish(publisher, "lost", 2) }
        #expect(after.position.epoch != before.position.epoch)
        #expect(after.position.offset == 1)
        #expect(try await Support.eventually { sink.publications("lost").count == 2 })
        #expect(sink.publications("lost").map(\.epoch) == [before.position.epoch, after.position.epoch])
        await subscriber.close()
        await publisher.close()
        await engine.shutdown()
    }

    @Test func aCatchUpAcrossALostEpochReadsTheNewEpochFromItsStart() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        // The subscriber's connections come back slowly, the publisher's at once: the new epoch's first
        // publications are made while the subscriber is away.
        let subscriberEngine = Support.engine(server, reconnectAfter: .milliseconds(800))
        let publisherEngine = Support.engine(server)
        let sink = RecordingSink()
        let subscriber = try await subscriberEngine.makeBroker(node: "sub", sink: sink)
        let publisher = try await publisherEngine.makeBroker(node: "pub", sink: RecordingSink())
        try await subscriber.subscribe("epochs")
        for n in 1...5 { _ = try await Support.publish(publisher, "epochs", n) }
        #expect(try await Support.eventually { sink.publications("epochs").count == 5 })
        try await server.restart()
        for n in 6...8 { _ = try await Self.retrying { try await Support.publish(publisher, "epochs", n) } }
        #expect(try await Support.eventually { sink.publications("epochs").count == 8 })
        let received = sink.publications("epochs")
        #expect(received.map(\.data) == (1...8).map { "{\"n\":\($0)}" })
        #expect(received.map(\.offset) == [1, 2, 3, 4, 5, 1, 2, 3])
        #expect(Set(received.map(\.epoch)).count == 2)
        await subscriber.close()
        await publisher.close()
        await subscriberEngine.shutdown()
        await publisherEngine.shutdown()
    }

    @Test func presenceListsMoreClientsThanLuaCanUnpackAtOnce() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let engine = Support.engine(server)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for n in stride(from: worker, to: 9_000, by: 8) {
                        _ = try await engine.presence.add(channel: "big", info: ClientInfo(client: "c\(n)", user: "u\(n % 100)"), lease: .seconds(60))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await engine.presence.list(channel: "big").count == 9_000)
        #expect(try await engine.presence.stats(channel: "big") == PresenceStats(clients: 9_000, users: 100))
        await engine.shutdown()
    }

    @Test func publishingTrimsExpiredHistoryFromTheHeadOfTheStream() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let engine = Support.engine(server, prefix: "trim")
        let broker = try await engine.makeBroker(node: "a", sink: RecordingSink())
        let options = ChannelOptions(historySize: 1_000, historyTTL: .milliseconds(300), metaTTL: .seconds(60), idempotencyWindow: .seconds(60))
        for n in 1...150 {
            _ = try await broker.publish(EnginePublishRequest(channel: "h", data: RawJSON(unchecked: "\(n)"), options: options))
        }
        try await Task.sleep(for: .milliseconds(400))
        // Two publishes trim up to 100 expired entries each: the 150 old ones are gone.
        for n in 151...152 {
            _ = try await broker.publish(EnginePublishRequest(channel: "h", data: RawJSON(unchecked: "\(n)"), options: options))
        }
        let admin = RedisClient(configuration: RedisConfiguration(port: server.port), eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: Support.logger)
        #expect(try await admin.send("XLEN", "trim:{h}:stream").int == 2)
        let history = try await broker.history(EngineHistoryRequest(channel: "h", after: nil, limit: 10, options: options))
        #expect(history.publications.map(\.offset) == [151, 152])
        await admin.shutdown()
        await broker.close()
        await engine.shutdown()
    }

    @Test func keysCarryThePrefixAndTheChannelAsHashTag() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let engine = Support.engine(server, prefix: "app1")
        let broker = try await engine.makeBroker(node: "a", sink: RecordingSink())
        _ = try await broker.publish(EnginePublishRequest(
            channel: "room:7", data: RawJSON(unchecked: "1"), idempotencyKey: "k1", options: Support.options()
        ))
        let admin = RedisClient(configuration: RedisConfiguration(port: server.port), eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: Support.logger)
        let keys = try await admin.send("KEYS", "*").array?.compactMap(\.string).sorted() ?? []
        #expect(keys == ["app1:{room:7}:idem:k1", "app1:{room:7}:meta", "app1:{room:7}:stream"])
        // One Redis Cluster slot for all of them: the slot hashes only the text between the first `{` and the
        // next `}`, which is the channel name in every key.
        let tags = keys.map { key -> Substring in
            let open = key.firstIndex(of: "{")!
            return key[key.index(after: open)..<key[open...].firstIndex(of: "}")!]
        }
        #expect(Set(tags) == ["room:7"])
        await admin.shutdown()
        await broker.close()
        await engine.shutdown()
    }

    @Test func shardedPubSubDeliversLikePlainPubSub() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let engine = Support.engine(server, sharded: true)
        let sink = RecordingSink()
        let subscriber = try await engine.makeBroker(node: "sub", sink: sink)
        try await subscriber.subscribe("sharded")
        for n in 1...10 { _ = try await Support.publish(subscriber, "sharded", n) }
        #expect(try await Support.eventually { sink.publications("sharded").count == 10 })
        #expect(sink.publications("sharded").map(\.offset) == Array(1...10).map(UInt64.init))
        await subscriber.close()
        await engine.shutdown()
    }

    /// Retries a call that fails while Redis is coming back (at most 10 s).
    static func retrying<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            do {
                return try await body()
            } catch let error as EngineError {
                guard case .unavailable = error, ContinuousClock.now < deadline else { throw error }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}
