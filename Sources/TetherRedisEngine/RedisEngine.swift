import Logging
import Metrics
import NIOCore
import NIOPosix
import TetherCore
import TetherProtocol
import TetherRedis

/// The engine for nodes on many machines: channels, history, presence, sessions and the node registry
/// live in one Redis (docs/node.md, "Redis engine"), so any node can serve any client and resume any
/// session.
///
/// - Publish is one script call (one round trip): next offset, append to the channel's stream (trimmed to
///   `historySize`, expiring after `historyTTL`), idempotency key, and the pub/sub message, atomically, so
///   history and live delivery agree on order.
/// - Fan-out: each broker (one per node) has its own pub/sub connection and subscribes to a channel's
///   events only while the node has local subscribers; after that connection is re-established it reads
///   what it missed from the streams (see ``RedisBroker``).
/// - Failures: calls fail fast with ``EngineError/unavailable(_:)`` while Redis is unreachable or busy,
///   and the connections come back by themselves. A publish whose reply was lost (timeout, connection
///   closed after the write) may still have been applied: that is the one case where a publish that
///   throws published something, and why clients retry publishes with their idempotency key.
///
/// Metrics (swift-metrics, `metricsFactory`): `tether_redis_call_failures_total{kind}`,
/// `tether_redis_call_seconds{call}`, `tether_redis_pubsub_reconnects_total{node}`,
/// `tether_redis_caught_up_publications_total{node}`.
///
/// Thread-safe; every method may be called from any task. Call ``shutdown()`` after the nodes stopped.
public final class RedisEngine: Engine {
    let configuration: RedisEngineConfiguration
    let client: RedisClient
    let calls: RedisCalls
    let keys: RedisKeys
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let metricsFactory: any MetricsFactory
    private let presenceManager: RedisPresenceManager
    private let sessionStore: RedisSessionStore
    private let nodeRegistry: RedisNodeRegistry

    public init(
        configuration: RedisEngineConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        let client = RedisClient(configuration: configuration.redis, eventLoopGroup: eventLoopGroup, logger: logger)
        let keys = RedisKeys(prefix: configuration.prefix)
        let calls = RedisCalls(client: client, factory: metricsFactory)
        self.client = client
        self.calls = calls
        self.keys = keys
        self.metricsFactory = metricsFactory
        self.presenceManager = RedisPresenceManager(calls: calls, keys: keys)
        self.sessionStore = RedisSessionStore(calls: calls, keys: keys)
        self.nodeRegistry = RedisNodeRegistry(calls: calls, keys: keys)
    }

    public func makeBroker(node: String, sink: any BrokerEventSink) async throws -> any Broker {
        let broker = RedisBroker(engine: self, node: node, sink: sink)
        try await broker.start()
        return broker
    }

    public var presence: any PresenceManager { self.presenceManager }
    public var sessions: any SessionStore { self.sessionStore }
    public var registry: any NodeRegistry { self.nodeRegistry }

    /// Closes the command connections; brokers close their own pub/sub connections in ``Broker/close()``.
    public func shutdown() async {
        await self.client.shutdown()
    }

    /// Whole milliseconds, at least 1 (Redis refuses PX 0).
    static func milliseconds(_ duration: Duration) -> Int {
        max(1, Int(duration.milliseconds))
    }
}
