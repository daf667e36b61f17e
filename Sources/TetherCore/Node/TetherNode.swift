import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import TetherProtocol

/// A real-time node: accepts client connections (from a transport such as TetherServer), routes their
/// commands, fans publications out to local subscribers, and keeps presence, sessions and its registry
/// entry fresh. Run it as a `Service` (``run()``); graceful shutdown disconnects every client with 3001,
/// spread over `shutdownDrainWindow`, and then detaches from the engine.
///
/// Threading: every method may be called from any task.
public final class TetherNode: Service, Sendable {
    public let configuration: NodeConfiguration
    public let engine: any Engine
    let clock: any EngineClock
    let logger: Logger
    let authorizer: SubscribeAuthorizer?
    let metrics: NodeMetrics
    let broker: any Broker
    let hub: Hub
    private let verifier: TokenVerifier
    private let registry = Mutex(Registry())
    private let startedAt: Int64

    private struct Registry {
        var connections: [ObjectIdentifier: ClientConnection] = [:]
        var users: [String: Set<ObjectIdentifier>] = [:]
        var userOf: [ObjectIdentifier: String] = [:]
        var accepting = true
    }

    /// Attaches the node to `engine` at once (so publications can flow before ``run()`` starts).
    /// Fails with ``TokenError/badKey(index:reason:)`` for unusable auth keys.
    public init(
        configuration: NodeConfiguration,
        engine: any Engine,
        authorizer: SubscribeAuthorizer? = nil,
        clock: any EngineClock = SystemEngineClock(),
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        logger: Logger = Logger(label: "tether.node")
    ) async throws {
        var logger = logger
        logger[metadataKey: "node"] = "\(configuration.name)"
        self.configuration = configuration
        self.engine = engine
        self.clock = clock
        self.logger = logger
        self.authorizer = authorizer
        self.metrics = NodeMetrics(node: configuration.name, factory: metricsFactory)
        self.verifier = try await TokenVerifier(configuration: configuration.auth)
        self.startedAt = clock.now()
        let sink = NodeEventSink()
        self.broker = try await engine.makeBroker(node: configuration.name, sink: sink)
        self.hub = Hub(broker: self.broker)
        sink.attach(self)
    }

    // MARK: - Connections

    /// A new connection, or nil when the node is full or shutting down (the transport closes with
    /// 3007 or 3001).
    public func accept() -> ClientConnection? {
        let connection = ClientConnection(id: Self.makeID(prefix: "c-"), node: self, now: self.clock.now())
        let admitted = self.registry.withLock { registry -> Bool in
            guard registry.accepting, registry.connections.count < self.configuration.limits.maxConnections else { return false }
            registry.connections[ObjectIdentifier(connection)] = connection
            return true
        }
        if admitted {
            self.metrics.connectionsOpened.increment()
            self.metrics.connections.record(self.connectionCount)
            return connection
        }
        self.metrics.connectionsRefused.increment()
        return nil
    }

    /// Whether new connections are refused because the node is shutting down (3001) rather than full (3007).
    public var isShuttingDown: Bool { self.registry.withLock { !$0.accepting } }

    public var connectionCount: Int { self.registry.withLock { $0.connections.count } }

    /// Connections on this node subscribed to `channel` (including subscriptions still being set up).
    public func localSubscriberCount(channel: String) -> Int {
        self.hub.subscribers(of: channel).count
    }

    func registerConnected(_ connection: ClientConnection, user: String) {
        let id = ObjectIdentifier(connection)
        self.registry.withLock { registry in
            // Only while it is still registered: a connection that ended meanwhile must not come back.
            guard registry.connections[id] != nil else { return }
            registry.users[user, default: []].insert(id)
            registry.userOf[id] = user
        }
    }

    func unregister(_ connection: ClientConnection) {
        let id = ObjectIdentifier(connection)
        self.registry.withLock { registry in
            registry.connections[id] = nil
            if let user = registry.userOf.removeValue(forKey: id) {
                registry.users[user]?.remove(id)
                if registry.users[user]?.isEmpty == true { registry.users[user] = nil }
            }
        }
        self.metrics.connections.record(self.connectionCount)
    }

    private var allConnections: [ClientConnection] {
        self.registry.withLock { Array($0.connections.values) }
    }

    /// Closes every local connection of `user`.
    func disconnectLocal(user: String, code: DisconnectCode) {
        let connections = self.registry.withLock { registry in
            (registry.users[user] ?? []).compactMap { registry.connections[$0] }
        }
        for connection in connections { connection.close(code) }
    }

    // MARK: - Auth

    func authenticate(_ token: String?) async throws -> Credentials {
        guard let token, !token.isEmpty else {
            guard self.configuration.auth.allowAnonymous else { throw TokenError.invalid("a token is required") }
            return .anonymous
        }
        return try await self.verifyToken(token)
    }

    func verifyToken(_ token: String) async throws(TokenError) -> Credentials {
        try await self.verifier.verify(token, now: self.clock.now())
    }

    // MARK: - Channels

    /// The namespace of `channel`, after checking the channel-name rules.
    func namespace(for channel: String) throws(ProtocolError) -> NamespaceOptions {
        if let problem = ChannelName.validate(channel) { throw problem }
        let name = ChannelName.namespace(of: channel)
        guard let options = self.configuration.namespaces[name] else {
            throw ProtocolError(.unknownNamespace, "unknown namespace '\(name)'")
        }
        return options
    }

    /// Publishes with every rule but the client-publish permission (the caller checks that).
    public func publish(channel: String, data: RawJSON, key: String?, info: ClientInfo? = nil) async throws -> EnginePublishResult {
        try await self.publish(channel: channel, data: data, key: key, info: info, namespace: self.namespace(for: channel))
    }

    func publish(channel: String, data: RawJSON, key: String?, info: ClientInfo?, namespace: NamespaceOptions) async throws -> EnginePublishResult {
        guard data.byteCount <= self.configuration.limits.maxPublicationSize else {
            throw ProtocolError(.messageTooLarge, "publication data is \(data.byteCount) bytes; the limit is \(self.configuration.limits.maxPublicationSize)")
        }
        let result = try await self.broker.publish(EnginePublishRequest(
            channel: channel, data: data, info: info, idempotencyKey: key,
            options: self.configuration.channelOptions(namespace)
        ))
        if !result.duplicate { self.metrics.publications.increment() }
        return result
    }

    /// The `history` result (shared by the client command and the server API).
    func historyReply(channel: String, since: StreamPosition?, limit: Int?, namespace: NamespaceOptions) async throws -> String {
        let limit = min(max(limit ?? namespace.historySize, 0), namespace.historySize)
        let history = try await self.broker.history(EngineHistoryRequest(
            channel: channel, after: since?.offset, limit: limit,
            options: self.configuration.channelOptions(namespace)
        ))
        let budget = max(self.configuration.limits.maxOutboundFrameSize - 1024, 1024)
        let publications = RecoveryPlan.prefix(of: history.publications, byteBudget: budget)
        let more = publications.count < history.publications.count
        guard let since else {
            return WireEncoder.historyResult(position: history.position, publications: publications, missing: nil, more: more)
        }
        guard since.epoch == history.position.epoch, since.offset <= history.position.offset else {
            throw ProtocolError(.epochMismatch, "the position is from another epoch of \(channel)")
        }
        let first = history.publications.first?.offset ?? history.position.offset + 1
        let missing = first > since.offset + 1 ? (since.offset + 1)...(first - 1) : nil
        return WireEncoder.historyResult(position: history.position, publications: publications, missing: missing, more: more)
    }

    // MARK: - Engine events

    func receive(_ event: BrokerEvent) {
        switch event {
        case .publication(let channel, let epoch, let publication):
            self.hub.deliver(channel: channel, epoch: epoch, publication: publication)
        case .presence(let channel, let change):
            let push = WireEncoder.presencePush(change, channel: channel)
            for connection in self.hub.subscribers(of: channel) {
                connection.deliverPresence(channel: channel, push: push)
            }
        case .control(let message):
            self.handleControl(message)
        case .interrupted:
            self.logger.warning("engine delivery was interrupted; clients recover the gap from history when they see it")
        }
    }

    private func handleControl(_ message: RawJSON) {
        guard let control = ControlMessage(message) else {
            self.logger.warning("ignoring an unreadable control message")
            return
        }
        switch control {
        case .disconnect(let user, let code):
            self.disconnectLocal(user: user, code: code)
        }
    }

    // MARK: - Service

    /// Bounds for parsing one inbound frame.
    var jsonLimits: JSONLimits { JSONLimits(maxBytes: self.configuration.limits.maxMessageSize) }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await self.maintain()
        } onGracefulShutdown: {
            self.stopAccepting()
        }
        await self.drain()
    }

    /// Periodic work until shutdown: per-connection deadlines and pings (every second), presence leases,
    /// session refresh and the registry heartbeat.
    private func maintain() async {
        let presenceEvery = max(self.configuration.presenceLease.milliseconds / 3, 200)
        let sessionEvery = max(self.configuration.sessionTTL.milliseconds / 4, 1000)
        let heartbeatEvery: Int64 = 3000
        var lastPresence: Int64 = 0
        var lastSession = self.clock.now()
        var lastHeartbeat: Int64 = 0
        while !self.isShuttingDown, !Task.isCancelled {
            let now = self.clock.now()
            let pingEvery = self.configuration.pingInterval.milliseconds
            let connections = self.allConnections
            for connection in connections { connection.tick(now: now, pingEvery: pingEvery) }
            if now - lastPresence >= presenceEvery {
                lastPresence = now
                await self.maintainPresence(connections)
            }
            if now - lastSession >= sessionEvery {
                lastSession = now
                for connection in connections { await connection.saveSession() }
            }
            if now - lastHeartbeat >= heartbeatEvery {
                lastHeartbeat = now
                await self.heartbeat(connections, now: now)
            }
            try? await Task.sleep(for: .milliseconds(min(1000, presenceEvery)))
        }
    }

    private func maintainPresence(_ connections: [ClientConnection]) async {
        var byChannel: [String: [String]] = [:]
        for connection in connections {
            for channel in connection.presenceChannels() { byChannel[channel, default: []].append(connection.id) }
        }
        let lease = self.configuration.presenceLease
        for (channel, clients) in byChannel {
            do {
                try await self.engine.presence.renew(channel: channel, clients: clients, lease: lease)
                let namespace = try? self.namespace(for: channel)
                for expired in try await self.engine.presence.expire(channel: channel) where namespace?.joinLeave == true {
                    try await self.broker.publishPresence(.leave(expired), channel: channel)
                }
            } catch {
                self.logger.debug("presence maintenance failed", metadata: ["channel": "\(channel)", "error": "\(error)"])
            }
        }
    }

    private func heartbeat(_ connections: [ClientConnection], now: Int64) async {
        let users = self.registry.withLock { $0.users.count }
        let channels = self.hub.channelCounts()
        let info = NodeInfo(
            name: self.configuration.name, version: TetherVersion.string, startedAt: self.startedAt, updatedAt: now,
            clients: connections.count, users: users,
            subscriptions: connections.reduce(0) { $0 + $1.subscriptionCount },
            channels: channels.count <= 10_000 ? channels : [:]
        )
        try? await self.engine.registry.heartbeat(info, ttl: .seconds(10))
    }

    /// Stops accepting, disconnects every client with 3001 spread over the drain window, waits for them
    /// to go, then detaches from the engine.
    private func stopAccepting() {
        self.registry.withLock { $0.accepting = false }
    }

    public func drain() async {
        self.stopAccepting()
        let connections = self.allConnections
        let window = self.configuration.shutdownDrainWindow
        self.logger.info("draining", metadata: ["connections": "\(connections.count)", "window": "\(window)"])
        // Close in slots of 20 ms so the closes (and the reconnects they cause) spread evenly over the window.
        let slots = max(1, Int(window.milliseconds / 20))
        let perSlot = max(1, (connections.count + slots - 1) / slots)
        var index = 0
        while index < connections.count {
            for connection in connections[index..<min(index + perSlot, connections.count)] {
                connection.close(.shutdown, delay: .milliseconds(Int64.random(in: 0...1000)))
            }
            index += perSlot
            if index < connections.count { try? await Task.sleep(for: .milliseconds(20)) }
        }
        // Longer than the transport's close-handshake fallback (5 s), so every connection's end (session
        // save, presence removal) still reaches the engine before the node detaches.
        let deadline = ContinuousClock.now + .seconds(6)
        while self.connectionCount > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        try? await self.engine.registry.remove(node: self.configuration.name)
        await self.broker.close()
        self.logger.info("stopped")
    }

    // MARK: - Ids

    static func makeID(prefix: String) -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        var bytes: [UInt8] = Array(prefix.utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<22 { bytes.append(alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))]) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Forwards engine events to the node (created before the node exists, attached right after).
final class NodeEventSink: BrokerEventSink {
    private let node = Mutex<TetherNode?>(nil)

    func attach(_ node: TetherNode) {
        self.node.withLock { $0 = node }
    }

    func receive(_ event: BrokerEvent) {
        self.node.withLock { $0 }?.receive(event)
    }
}

public enum TetherVersion {
    public static let string = "0.3.0"
}
