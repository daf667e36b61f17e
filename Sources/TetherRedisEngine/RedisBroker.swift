import Logging
import Metrics
import TetherCore
import TetherProtocol
import TetherRedis

/// One node's handle on the Redis engine (see ``Broker`` for the contract it keeps).
///
/// Publishing and history go through the engine's shared command pool, one script call each. Fan-out
/// has its own pub/sub connection: the broker subscribes to a channel's events channel while the node
/// has local subscribers (one Redis subscription per channel however many clients), and always to the
/// control channel. ``RedisChannelFeeds`` orders, de-duplicates and, after a reconnect, catches up what
/// reaches the sink.
final class RedisBroker: Broker {
    private let engine: RedisEngine
    private let node: String
    private let feeds: RedisChannelFeeds
    private let subscriber: RedisSubscriber
    private let publishTimer: Timer
    private let historyTimer: Timer

    init(engine: RedisEngine, node: String, sink: any BrokerEventSink) {
        self.engine = engine
        self.node = node
        var logger = engine.logger
        logger[metadataKey: "node"] = "\(node)"
        let feeds = RedisChannelFeeds(
            sink: sink, calls: engine.calls, keys: engine.keys, logger: logger,
            metrics: RedisChannelFeeds.Metrics(node: node, factory: engine.metricsFactory)
        )
        self.publishTimer = engine.calls.timer("publish")
        self.historyTimer = engine.calls.timer("history")
        self.feeds = feeds
        var redis = engine.configuration.redis
        redis.clientName = Self.clientName(node)
        self.subscriber = RedisSubscriber(
            configuration: redis,
            eventLoopGroup: engine.eventLoopGroup,
            logger: logger,
            onMessage: { feeds.receive($0) },
            onConnectionChange: { feeds.connectionChanged($0) }
        )
    }

    /// Connects the pub/sub connection and subscribes to the control channel. Redis being down is not an
    /// error here: the subscriber keeps trying and subscribes once it is back.
    func start() async throws {
        do {
            try await self.subscriber.start()
            try await self.subscriber.subscribe([self.engine.keys.control])
        } catch RedisError.poolClosed {
            throw EngineError.unavailable("redis: engine shut down")
        } catch {
            self.engine.logger.warning("redis is not reachable yet; the node keeps trying", metadata: ["error": "\(error)"])
        }
    }

    func subscribe(_ channel: String) async throws {
        let events = self.engine.keys.events(channel)
        self.feeds.add(channel)
        do {
            try await self.changeSubscription(subscribe: true, events)
        } catch {
            self.feeds.remove(channel)
            try? await self.changeSubscription(subscribe: false, events)
            throw RedisCalls.engineError(error)
        }
        // Where a catch-up starts if the connection drops before the first publication arrives.
        if let reply = try? await self.engine.calls.run(RedisEngineScripts.catchUp,
            keys: [self.engine.keys.meta(channel), self.engine.keys.stream(channel)], args: ["0", 0]
        ), let parts = reply.array, parts.count == 3, let epoch = parts[0].string, let offset = parts[1].int {
            self.feeds.setFloor(channel, epoch: epoch, offset: UInt64(max(0, offset)))
        }
    }

    func unsubscribe(_ channel: String) async throws {
        self.feeds.remove(channel)
        do {
            try await self.changeSubscription(subscribe: false, self.engine.keys.events(channel))
        } catch {
            throw RedisCalls.engineError(error)
        }
    }

    private func changeSubscription(subscribe: Bool, _ events: String) async throws {
        switch (self.engine.configuration.shardedPubSub, subscribe) {
        case (false, true): try await self.subscriber.subscribe([events])
        case (false, false): try await self.subscriber.unsubscribe([events])
        case (true, true): try await self.subscriber.ssubscribe([events])
        case (true, false): try await self.subscriber.sunsubscribe([events])
        }
    }

    private var publishCommand: RESPArgument {
        self.engine.configuration.shardedPubSub ? "SPUBLISH" : "PUBLISH"
    }

    func publish(_ request: EnginePublishRequest) async throws -> EnginePublishResult {
        let keys = self.engine.keys
        var scriptKeys = [keys.meta(request.channel), keys.stream(request.channel)]
        if let key = request.idempotencyKey { scriptKeys.append(keys.idempotency(request.channel, key: key)) }
        let options = request.options
        let reply = try await self.engine.calls.run(RedisEngineScripts.publish, keys: scriptKeys, args: [
            .string(keys.events(request.channel)),
            .string(RedisEventMessage.payload(data: request.data, info: request.info)),
            .int(max(0, options.historySize)),
            .int(RedisEngine.milliseconds(options.historyTTL)),
            .int(RedisEngine.milliseconds(options.metaTTL)),
            .int(RedisEngine.milliseconds(options.idempotencyWindow)),
            .string(EngineEpoch.make()),
            self.publishCommand,
        ], timer: self.publishTimer)
        guard let parts = reply.array, parts.count >= 3, let duplicate = parts[0].int, let epoch = parts[1].string,
              let offset = parts[2].int, offset > 0
        else { throw EngineError.internalError("redis: unexpected publish reply \(reply)") }
        if parts.count == 4, parts[3].int == 0 {
            self.engine.logger.warning(
                "redis refused the fan-out of a publication (it is in history; subscribers recover it as a gap)",
                metadata: ["channel": "\(request.channel)", "offset": "\(offset)"]
            )
        }
        return EnginePublishResult(position: StreamPosition(offset: UInt64(offset), epoch: epoch), duplicate: duplicate == 1)
    }

    func history(_ request: EngineHistoryRequest) async throws -> EngineHistoryResult {
        let keys = self.engine.keys
        let options = request.options
        let reply = try await self.engine.calls.run(RedisEngineScripts.history, keys: [keys.meta(request.channel), keys.stream(request.channel)],
            args: [
                .string(request.after.map { String($0) } ?? ""),
                .int(max(0, request.limit)),
                .int(RedisEngine.milliseconds(options.historyTTL)),
                .int(RedisEngine.milliseconds(options.metaTTL)),
                .string(EngineEpoch.make()),
            ],
            timer: self.historyTimer
        )
        guard let parts = reply.array, parts.count == 3, let epoch = parts[0].string, let offset = parts[1].int, offset >= 0 else {
            throw EngineError.internalError("redis: unexpected history reply \(reply)")
        }
        return EngineHistoryResult(
            position: StreamPosition(offset: UInt64(offset), epoch: epoch),
            publications: try Self.publications(parts[2])
        )
    }

    func publishPresence(_ event: PresenceEvent, channel: String) async throws {
        _ = try await self.engine.calls.send(RESPCommand(
            self.engine.configuration.shardedPubSub ? "SPUBLISH" : "PUBLISH",
            .string(self.engine.keys.events(channel)), .string(RedisEventMessage.presence(event))
        ))
    }

    func publishControl(_ message: RawJSON) async throws {
        _ = try await self.engine.calls.send(RESPCommand(
            "PUBLISH", .string(self.engine.keys.control), .string(RedisEventMessage.control(message))
        ))
    }

    func close() async {
        self.feeds.close()
        await self.subscriber.shutdown()
    }

    /// Publications from a script's flat `{id, payload, …}` array (ids are `OFFSET-0`).
    static func publications(_ value: RESPValue) throws(EngineError) -> [Publication] {
        guard let flat = value.array, flat.count % 2 == 0 else { throw .internalError("redis: unexpected stream entries") }
        var publications: [Publication] = []
        publications.reserveCapacity(flat.count / 2)
        var index = 0
        while index < flat.count {
            guard let id = flat[index].string, let dash = id.firstIndex(of: "-"), let offset = UInt64(id[..<dash]),
                  let payload = flat[index + 1].buffer,
                  let publication = RedisEventMessage.publication(offset: offset, payload: payload.readableBytesView)
            else { throw .internalError("redis: unreadable stream entry") }
            publications.append(publication)
            index += 2
        }
        return publications
    }

    /// `CLIENT SETNAME` takes visible ASCII only (0x21–0x7E); node names are free text.
    private static func clientName(_ node: String) -> String {
        let safe = node.utf8.prefix(64).map { $0 >= 0x21 && $0 <= 0x7E ? Character(UnicodeScalar($0)) : "_" }
        return "tether-pubsub-" + String(safe)
    }
}
