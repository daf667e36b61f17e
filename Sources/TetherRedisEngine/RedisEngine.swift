import Logging
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
/// Thread-safe; every method may be called from any task. Call ``shutdown()`` after the nodes stopped.
public final class RedisEngine: Engine {
    let configuration: RedisEngineConfiguration
    let client: RedisClient
    let keys: RedisKeys
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    private let presenceManager: RedisPresenceManager
    private let sessionStore: RedisSessionStore
    private let nodeRegistry: RedisNodeRegistry

    public init(
        configuration: RedisEngineConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        let client = RedisClient(configuration: configuration.redis, eventLoopGroup: eventLoopGroup, logger: logger)
        let keys = RedisKeys(prefix: configuration.prefix)
        self.client = client
        self.keys = keys
        self.presenceManager = RedisPresenceManager(client: client, keys: keys)
        self.sessionStore = RedisSessionStore(client: client, keys: keys)
        self.nodeRegistry = RedisNodeRegistry(client: client, keys: keys)
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

    /// Runs a script and maps failures to ``EngineError``.
    static func run(_ client: RedisClient, _ script: RedisScript, keys: [String], args: [RESPArgument]) async throws(EngineError) -> RESPValue {
        do {
            return try await client.eval(script, keys: keys.map { .string($0) }, args: args)
        } catch {
            throw Self.engineError(error)
        }
    }

    /// One plain command, failures mapped to ``EngineError``.
    static func send(_ client: RedisClient, _ command: RESPCommand) async throws(EngineError) -> RESPValue {
        do {
            return try await client.send(command)
        } catch {
            throw Self.engineError(error)
        }
    }

    /// Redis being away, busy, loading or failing over is temporary; anything else is a bug or a misconfiguration.
    static func engineError(_ error: any Error) -> EngineError {
        guard let error = error as? RedisError else { return .unavailable("redis: \(error)") }
        switch error {
        case .server(let code, let message):
            let temporary = ["LOADING", "BUSY", "OOM", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "NOREPLICAS", "MOVED", "ASK", "NOAUTH"]
            return temporary.contains(code) ? .unavailable("redis: \(code) \(message)") : .internalError("redis: \(code) \(message)")
        case .timeout: return .unavailable("redis: timed out")
        case .connectionClosed: return .unavailable("redis: connection closed")
        case .connectFailed(let why): return .unavailable("redis: cannot connect: \(why)")
        case .protocolError(let why): return .unavailable("redis: protocol error: \(why)")
        case .authenticationFailed(let why): return .unavailable("redis: authentication failed: \(why)")
        case .poolClosed: return .unavailable("redis: engine shut down")
        case .tooManyPending: return .unavailable("redis: too many calls in flight")
        }
    }

    /// Whole milliseconds, at least 1 (Redis refuses PX 0).
    static func milliseconds(_ duration: Duration) -> Int {
        max(1, Int(duration.milliseconds))
    }
}
