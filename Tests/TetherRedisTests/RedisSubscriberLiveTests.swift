import Logging
import NIOCore
import NIOPosix
import TetherRedis
import TetherTesting
import Testing

@Suite struct RedisSubscriberLiveTests {
    typealias Support = RedisTestSupport

    final class Harness: Sendable {
        let messages = Inbox<RedisPubSubMessage>()
        let events = Inbox<String>()
        let subscriber: RedisSubscriber

        init(_ configuration: RedisConfiguration) {
            let messages = self.messages
            let events = self.events
            subscriber = RedisSubscriber(
                configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                logger: Support.logger,
                onMessage: { messages.push($0) },
                onConnectionChange: { event in
                    switch event {
                    case .connected(let count): events.push("connected \(count)")
                    case .disconnected: events.push("disconnected")
                    }
                })
        }
    }

    @Test(arguments: [RedisConfiguration.ProtocolVersion.resp3, .resp2])
    func receivesInOrder(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let configuration = Support.configuration(for: server) { $0.protocolVersion = version }
        let harness = Harness(configuration)
        let publisher = Support.client(configuration)
        try await harness.subscriber.start()
        #expect(harness.events.items == ["connected 0"])
        try await harness.subscriber.subscribe(["orders", "other"])
        let results = try await publisher.pipeline((0..<500).map { i in
            RESPCommand("PUBLISH", [i % 5 == 0 ? "other" : "orders", .string("m\(i)")])
        })
        #expect(results.allSatisfy { (try? $0.get()) == .integer(1) }, "every publish reached one subscriber")
        let received = await harness.messages.wait(for: 500)
        #expect(received.filter { $0.channel == "orders" }.map { String(buffer: $0.payload) }
            == (0..<500).filter { $0 % 5 != 0 }.map { "m\($0)" })
        #expect(received.filter { $0.channel == "other" }.count == 100)
        #expect(received.allSatisfy { $0.kind == .message && $0.pattern == nil })

        try await harness.subscriber.unsubscribe(["orders"])
        #expect(try await publisher.send("PUBLISH", "orders", "late") == .integer(0))
        #expect(try await publisher.send("PUBLISH", "other", "still") == .integer(1))
        await harness.subscriber.shutdown()
        await publisher.shutdown()
    }

    @Test(arguments: [RedisConfiguration.ProtocolVersion.resp3, .resp2])
    func patternsAndShardChannels(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let configuration = Support.configuration(for: server) { $0.protocolVersion = version }
        let harness = Harness(configuration)
        let publisher = Support.client(configuration)
        try await harness.subscriber.start()
        try await harness.subscriber.psubscribe(["news.*"])
        try await harness.subscriber.ssubscribe(["{shard}a", "{shard}b"])
        #expect(try await publisher.send("PUBLISH", "news.sport", "goal") == .integer(1))
        #expect(try await publisher.send("SPUBLISH", "{shard}b", "sharded") == .integer(1))
        let received = await harness.messages.wait(for: 2)
        #expect(received.count == 2)
        #expect(received.first == RedisPubSubMessage(kind: .pmessage, channel: "news.sport", pattern: "news.*", payload: ByteBuffer(string: "goal")))
        #expect(received.last == RedisPubSubMessage(kind: .smessage, channel: "{shard}b", payload: ByteBuffer(string: "sharded")))

        try await harness.subscriber.punsubscribe(["news.*"])
        try await harness.subscriber.sunsubscribe(["{shard}a", "{shard}b"])
        #expect(try await publisher.send("PUBLISH", "news.sport", "nobody") == .integer(0))
        #expect(try await publisher.send("SPUBLISH", "{shard}b", "nobody") == .integer(0))
        await harness.subscriber.shutdown()
        await publisher.shutdown()
    }

    @Test(arguments: [RedisConfiguration.ProtocolVersion.resp3, .resp2])
    func resubscribesAfterRedisRestart(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let configuration = Support.configuration(for: server) { $0.protocolVersion = version }
        let harness = Harness(configuration)
        let publisher = Support.client(configuration)
        try await harness.subscriber.start()
        try await harness.subscriber.subscribe(["plain"])
        try await harness.subscriber.psubscribe(["pat.*"])
        try await harness.subscriber.ssubscribe(["sharded"])
        #expect(try await publisher.send("PUBLISH", "plain", "before") == .integer(1))
        _ = await harness.messages.wait(for: 1)

        await server.kill()
        #expect(await harness.events.wait(for: 2) == ["connected 0", "disconnected"])
        // Subscribing while down is remembered and done on reconnect.
        await #expect(throws: RedisError.connectionClosed) { try await harness.subscriber.subscribe(["added-while-down"]) }
        try await server.restart()
        #expect(await harness.events.wait(for: 3) == ["connected 0", "disconnected", "connected 4"])

        #expect(try await publisher.send("PUBLISH", "plain", "after") == .integer(1))
        #expect(try await publisher.send("PUBLISH", "pat.x", "after") == .integer(1))
        #expect(try await publisher.send("SPUBLISH", "sharded", "after") == .integer(1))
        #expect(try await publisher.send("PUBLISH", "added-while-down", "after") == .integer(1))
        let received = await harness.messages.wait(for: 5)
        #expect(received.map(\.channel) == ["plain", "plain", "pat.x", "sharded", "added-while-down"])
        #expect(received.dropFirst().allSatisfy { String(buffer: $0.payload) == "after" })
        await harness.subscriber.shutdown()
        await publisher.shutdown()
    }

    @Test func startReturnsWhenRedisIsDownAndConnectsLater() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let configuration = Support.configuration(for: server)
        await server.stop()
        let harness = Harness(configuration)
        try await harness.subscriber.start()
        #expect(harness.events.items == ["disconnected"])
        await #expect(throws: RedisError.connectionClosed) { try await harness.subscriber.subscribe(["early"]) }
        try await server.restart()
        #expect(await harness.events.wait(for: 2) == ["disconnected", "connected 1"])
        let publisher = Support.client(configuration)
        #expect(try await publisher.send("PUBLISH", "early", "hi") == .integer(1))
        #expect(await harness.messages.wait(for: 1).map(\.channel) == ["early"])
        await harness.subscriber.shutdown()
        await #expect(throws: RedisError.poolClosed) { try await harness.subscriber.subscribe(["x"]) }
        await publisher.shutdown()
    }
}
