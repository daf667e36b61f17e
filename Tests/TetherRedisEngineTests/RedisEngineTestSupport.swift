import Logging
import Metrics
import NIOPosix
import Synchronization
import TetherCore
import TetherProtocol
import TetherRedis
import TetherRedisEngine
import TetherTesting

enum RedisEngineTestSupport {
    static var logger: Logger {
        var logger = Logger(label: "redis-engine-tests")
        logger.logLevel = .error
        return logger
    }

    static func engine(
        _ server: RedisServerProcess, prefix: String = "t", sharded: Bool = false, reconnectAfter: Duration = .milliseconds(20),
        metrics: (any MetricsFactory)? = nil
    ) -> RedisEngine {
        var redis = RedisConfiguration(port: server.port, reconnectBackoff: .init(initial: reconnectAfter, maximum: max(reconnectAfter, .milliseconds(200))))
        redis.commandTimeout = .seconds(5)
        return RedisEngine(
            configuration: RedisEngineConfiguration(redis: redis, prefix: prefix, shardedPubSub: sharded), logger: Self.logger,
            metricsFactory: metrics ?? NOOPMetricsHandler.instance
        )
    }

    static func options(historySize: Int = 100) -> ChannelOptions {
        ChannelOptions(historySize: historySize, historyTTL: .seconds(60), metaTTL: .seconds(600), idempotencyWindow: .seconds(60))
    }

    /// Publishes `{"n":N}` with idempotency key `nN`, so a retried publish is never applied twice.
    static func publish(_ broker: any Broker, _ channel: String, _ n: Int, historySize: Int = 100) async throws -> EnginePublishResult {
        try await broker.publish(EnginePublishRequest(
            channel: channel, data: RawJSON(unchecked: "{\"n\":\(n)}"), idempotencyKey: "n\(n)", options: Self.options(historySize: historySize)
        ))
    }

    /// Retries `body` until it returns true or `timeout` passes.
    static func eventually(timeout: Duration = .seconds(10), _ body: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await body()) == true { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }
}

/// A sink that records what it gets, for tests.
final class RecordingSink: BrokerEventSink {
    private let events = Mutex<[BrokerEvent]>([])

    func receive(_ event: BrokerEvent) {
        self.events.withLock { $0.append(event) }
    }

    /// (epoch, offset, data) of the publications received on `channel`, in order.
    func publications(_ channel: String) -> [(epoch: String, offset: UInt64, data: String)] {
        self.events.withLock { events in
            events.compactMap { event in
                guard case .publication(let c, let epoch, let publication) = event, c == channel else { return nil }
                return (epoch, publication.offset, publication.data.text)
            }
        }
    }

    var interruptions: Int {
        self.events.withLock { $0.filter { if case .interrupted = $0 { true } else { false } }.count }
    }
}
