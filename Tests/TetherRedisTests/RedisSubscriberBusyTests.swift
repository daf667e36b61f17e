import NIOConcurrencyHelpers
import NIOCore
import TetherRedis
import Testing

/// A resubscribe that Redis answers with BUSY (a long script is running) must not cost any subscription:
/// the subscriber gives up that connection and subscribes everything again on the next one.
@Suite struct RedisSubscriberBusyTests {
    @Test func aBusyResubscribeIsRetriedOnTheNextConnectionWithEveryName() async throws {
        // Connection 0 confirms `SUBSCRIBE a b`, then is closed; connection 1 answers the resubscribe with
        // BUSY; connection 2 confirms it and publishes one message on `b`.
        let subscribes = NIOLockedValueBox<[Int: [String]]>([:])
        let server = try await ScriptedRedisServer { connection, text, context in
            guard text.contains("SUBSCRIBE") else { return }
            subscribes.withLockedValue { $0[connection, default: []].append(text) }
            if connection == 1 { return context.reply("-BUSY Redis is busy running a script\r\n") }
            context.reply(ScriptedRESP.confirm("a", count: 1) + ScriptedRESP.confirm("b", count: 2))
            if connection == 0 {
                context.close(promise: nil)
            } else {
                context.reply(ScriptedRESP.message("b", "hello"))
            }
        }
        let configuration = RedisConfiguration(
            port: server.port,
            reconnectBackoff: .init(initial: .milliseconds(20), maximum: .milliseconds(100))
        )
        let harness = RedisSubscriberLiveTests.Harness(configuration)
        try await harness.subscriber.start()
        try await harness.subscriber.subscribe(["a", "b"])
        let received = await harness.messages.wait(for: 1)
        #expect(received.map { String(buffer: $0.payload) } == ["hello"], "the subscription to b survived the BUSY reply")
        let sent = subscribes.withLockedValue { $0 }
        #expect(sent[2]?.count == 1)
        #expect(sent[2]?.first.map { $0.contains("$1\r\na\r\n") && $0.contains("$1\r\nb\r\n") } == true, "both names were sent again")
        await harness.subscriber.shutdown()
        await server.close()
    }
}
