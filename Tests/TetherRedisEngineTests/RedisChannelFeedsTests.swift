import Logging
import Metrics
import NIOCore
import NIOPosix
import Testing
import TetherCore
import TetherProtocol
import TetherRedis
@testable import TetherRedisEngine

/// `RedisChannelFeeds` without a live pub/sub connection: messages are fed by hand, and its catch-up
/// reads go to a port where no Redis listens (so they fail, which the feeds must survive).
@Suite struct RedisChannelFeedsTests {
    let keys = RedisKeys(prefix: "t")

    func feeds(_ sink: RecordingSink) -> RedisChannelFeeds {
        var logger = Logger(label: "feeds-test")
        logger.logLevel = .critical
        let client = RedisClient(
            configuration: RedisConfiguration(port: 1, connectTimeout: .milliseconds(200), commandTimeout: .milliseconds(200)),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger
        )
        return RedisChannelFeeds(
            sink: sink, calls: RedisCalls(client: client, factory: NOOPMetricsHandler.instance), keys: self.keys, logger: logger,
            metrics: .init(node: "n", factory: NOOPMetricsHandler.instance)
        )
    }

    func message(_ channel: String, epoch: String = "E", offset: UInt64) -> RedisPubSubMessage {
        let text = "p\(epoch) \(offset) " + RedisEventMessage.payload(data: RawJSON(unchecked: "\(offset)"), info: nil)
        return RedisPubSubMessage(kind: .message, channel: self.keys.events(channel), payload: ByteBuffer(string: text))
    }

    @Test func publicationsAreDeliveredOnceInOffsetOrderPerEpoch() {
        let sink = RecordingSink()
        let feeds = self.feeds(sink)
        feeds.add("a")
        for offset in [1, 2, 2, 1, 3] as [UInt64] { feeds.receive(self.message("a", offset: offset)) }
        feeds.receive(self.message("a", epoch: "F", offset: 1))
        feeds.receive(self.message("b", offset: 1))  // not subscribed
        #expect(sink.publications("a").map(\.offset) == [1, 2, 3, 1])
        #expect(sink.publications("a").map(\.epoch) == ["E", "E", "E", "F"])
        #expect(sink.publications("b").isEmpty)
    }

    @Test func messagesOfTheNewConnectionWaitForTheCatchUp() async throws {
        let sink = RecordingSink()
        let feeds = self.feeds(sink)
        feeds.add("a")
        feeds.receive(self.message("a", offset: 1))
        feeds.connectionChanged(.disconnected(RedisError.connectionClosed))
        // The new connection delivers before it reports `connected`: held, not delivered past a possible hole.
        feeds.receive(self.message("a", offset: 5))
        feeds.add("late")
        feeds.receive(self.message("late", offset: 9))
        #expect(sink.publications("a").map(\.offset) == [1])
        #expect(sink.publications("late").isEmpty)
        feeds.connectionChanged(.connected(resubscribed: 2))
        // The catch-up read fails (no Redis): what was held is delivered and the sink hears of the interruption.
        #expect(try await RedisEngineTestSupport.eventually { sink.interruptions == 1 })
        #expect(sink.publications("a").map(\.offset) == [1, 5])
        #expect(sink.publications("late").map(\.offset) == [9])
    }
}
