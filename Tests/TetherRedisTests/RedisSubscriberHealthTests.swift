import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TetherRedis
import TetherTesting
import Testing

/// The subscriber's connection health: a connection that stops answering (a silently dead peer) is replaced,
/// and subscribe calls made while a new connection re-subscribes wait for it.
@Suite struct RedisSubscriberHealthTests {
    @Test func aConnectionThatStopsAnsweringPingsIsReplaced() async throws {
        // Connection 0 confirms `SUBSCRIBE a` and then never answers anything again (PINGs included);
        // connection 1 confirms it and publishes one message.
        let server = try await ScriptedRedisServer { connection, text, context in
            guard text.contains("SUBSCRIBE") else { return }
            context.reply(ScriptedRESP.confirm("a", count: 1) + (connection > 0 ? ScriptedRESP.message("a", "back") : ""))
        }
        let configuration = RedisConfiguration(
            port: server.port,
            commandTimeout: .milliseconds(300),
            reconnectBackoff: .init(initial: .milliseconds(20), maximum: .milliseconds(100)),
            pubSubPingInterval: .milliseconds(100)
        )
        let harness = RedisSubscriberLiveTests.Harness(configuration)
        try await harness.subscriber.start()
        try await harness.subscriber.subscribe(["a"])
        let received = await harness.messages.wait(for: 1)
        #expect(received.map { String(buffer: $0.payload) } == ["back"], "re-subscribed on a new connection")
        #expect(await harness.events.wait(for: 3).prefix(3) == ["connected 0", "disconnected", "connected 1"])
        await harness.subscriber.shutdown()
        await server.close()
    }

    @Test(arguments: [RedisConfiguration.ProtocolVersion.resp3, .resp2])
    func aRealRedisAnswersThePingsOfASubscribedConnection(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let configuration = RedisTestSupport.configuration(for: server) {
            $0.protocolVersion = version
            $0.pubSubPingInterval = .milliseconds(30)
        }
        let harness = RedisSubscriberLiveTests.Harness(configuration)
        let publisher = RedisTestSupport.client(configuration)
        try await harness.subscriber.start()
        try await harness.subscriber.subscribe(["p"])
        try await Task.sleep(for: .milliseconds(400))  // a dozen pings answered while subscribed
        #expect(try await publisher.send("PUBLISH", "p", "still here") == .integer(1))
        #expect(await harness.messages.wait(for: 1).map { String(buffer: $0.payload) } == ["still here"])
        #expect(harness.events.items == ["connected 0"], "no ping was taken for a dead connection")
        await harness.subscriber.shutdown()
        await publisher.shutdown()
    }

    @Test func aSubscribeDuringTheResubscribeWaitsForItInsteadOfFailing() async throws {
        // Connection 0 confirms `SUBSCRIBE a` and is closed; connection 1 confirms the resubscribe of `a`
        // only after 1 s, then confirms `SUBSCRIBE b` and publishes on `b`.
        let resubscribing = NIOLockedValueBox(false)
        let server = try await ScriptedRedisServer { connection, text, context in
            guard text.contains("SUBSCRIBE") else { return }
            if connection == 0 {
                context.reply(ScriptedRESP.confirm("a", count: 1))
                context.close(promise: nil)
            } else if text.contains("$1\r\na\r\n") {
                resubscribing.withLockedValue { $0 = true }
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .seconds(1)) { bound.value.reply(ScriptedRESP.confirm("a", count: 1)) }
            } else {
                context.reply(ScriptedRESP.confirm("b", count: 2) + ScriptedRESP.message("b", "hi"))
            }
        }
        let configuration = RedisConfiguration(
            port: server.port,
            reconnectBackoff: .init(initial: .milliseconds(20), maximum: .milliseconds(100))
        )
        let harness = RedisSubscriberLiveTests.Harness(configuration)
        try await harness.subscriber.start()
        try await harness.subscriber.subscribe(["a"])
        // Until connection 1's resubscribe reached the server (it stays unanswered for 1 s).
        let deadline = ContinuousClock.now + .seconds(10)
        while !resubscribing.withLockedValue({ $0 }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        try await harness.subscriber.subscribe(["b"])  // threw connectionClosed before
        // The waiters are released just before the event is reported: wait for it.
        #expect(await harness.events.wait(for: 3).prefix(3).last == "connected 2", "the resubscribe included b")
        #expect(await harness.messages.wait(for: 1).map { String(buffer: $0.payload) } == ["hi"])
        await harness.subscriber.shutdown()
        await server.close()
    }
}
