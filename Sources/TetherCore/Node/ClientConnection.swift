import Logging
import Synchronization
import TetherProtocol

/// One client connection on a node: the protocol state machine between the transport (which feeds
/// inbound frames and drains ``outbound``) and the node's hub and engine.
///
/// Threading: ``receive(_:)`` is called by one task (the transport's read loop), so commands are handled
/// one at a time, in order (this is what gives per-publisher FIFO). ``deliver(channel:epoch:offset:push:)``
/// is called from fan-out on any thread. Both meet in `state`, under one lock; every message enters
/// ``outbound`` under that lock, which is what orders a subscribe reply before the channel's live pushes.
public final class ClientConnection: Sendable {
    /// The connection's id (`client` in the connect reply).
    public let id: String
    /// Messages for the transport to write; closing it ends the connection.
    public let outbound: OutboundQueue

    private let node: TetherNode
    private let state: Mutex<State>
    private let logger: Logger

    struct Subscription {
        let namespace: NamespaceOptions
        var epoch: String = ""
        var lastOffset: UInt64 = 0
        /// Pushes that arrived before the subscribe reply went out.
        var pending: [(offset: UInt64, epoch: String, push: String)]? = []
        var pendingBytes = 0
        /// First offset not sent since the queue was last full (slow-consumer policy `gap`).
        var gapFrom: UInt64?
    }

    struct State {
        var phase: Phase = .awaitingConnect
        var subscriptions: [String: Subscription] = [:]
        var rate: CommandRate
        var connectDeadline: Int64
        var lastPingPush: Int64
        /// Set first thing in ``terminated()``: a command still in flight must not subscribe anything after.
        var terminated = false
    }

    enum Phase {
        case awaitingConnect
        case connected(Credentials, session: String)
        case closed
    }

    init(id: String, node: TetherNode, now: Int64) {
        self.id = id
        self.node = node
        self.outbound = OutboundQueue(limit: node.configuration.limits.outboundQueueBytes)
        let limits = node.configuration.limits
        self.state = Mutex(State(
            rate: CommandRate(perSecond: limits.commandsPerSecond, burst: limits.commandBurst, now: now),
            connectDeadline: now + limits.connectTimeout.milliseconds,
            lastPingPush: now
        ))
        var logger = node.logger
        logger[metadataKey: "client"] = "\(id)"
        self.logger = logger
    }

    // MARK: - Inbound

    /// Handles one inbound text frame (one or more messages separated by `\n`). Returns when every
    /// command in it has been answered or the connection is closing.
    public func receive(_ text: String) async {
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            guard !self.outbound.isClosing else { return }
            switch ClientCommand.decode(line, limits: self.node.jsonLimits) {
            case .frameError(let frameError):
                self.logger.debug("closing on a malformed frame", metadata: ["error": "\(frameError)"])
                self.close(frameError.closeCode)
                return
            case .invalid(let id, let error):
                self.reply(id, error: error)
            case .command(let command):
                guard self.admit(command.id) else { continue }
                await self.handle(command)
            }
        }
    }

    /// A binary frame: not part of the protocol.
    public func receiveBinary() {
        self.close(.badRequest)
    }

    /// Token-bucket check; over the limit answers 110, far over it closes with 3006.
    private func admit(_ id: UInt32) -> Bool {
        let now = self.node.clock.now()
        let verdict = self.state.withLock { $0.rate.take(now: now) }
        switch verdict {
        case .allowed: return true
        case .refused:
            self.reply(id, error: ProtocolError(.tooManyRequests, "over \(self.node.configuration.limits.commandsPerSecond) commands per second"))
            return false
        case .abusive:
            self.close(.tooManyRequests)
            return false
        }
    }

    private func handle(_ command: ClientCommand) async {
        let id = command.id
        if case .connect(let request) = command.op {
            await self.connect(id: id, request)
            return
        }
        guard let (credentials, _) = self.connected else {
            self.close(.badRequest)
            return
        }
        do {
            switch command.op {
            case .connect:
                break
            case .subscribe(let request):
                try await self.subscribe(id: id, channel: request.channel, since: request.since, credentials: credentials)
            case .unsubscribe(let channel):
                try await self.unsubscribe(id: id, channel: channel)
            case .publish(let request):
                try await self.publish(id: id, request, credentials: credentials)
            case .history(let request):
                try await self.history(id: id, channel: request.channel, since: request.since, limit: request.limit, credentials: credentials)
            case .presence(let channel):
                _ = try await self.presenceNamespace(channel, credentials: credentials)
                let clients = try await self.node.engine.presence.list(channel: channel)
                self.reply(id, WireEncoder.presenceResult(clients))
            case .presenceStats(let channel):
                _ = try await self.presenceNamespace(channel, credentials: credentials)
                let stats = try await self.node.engine.presence.stats(channel: channel)
                self.reply(id, WireEncoder.presenceStatsResult(stats))
            case .refresh(let token):
                try await self.refresh(id: id, token: token, credentials: credentials)
            case .ping:
                self.reply(id, "{}")
            }
        } catch let error as ProtocolError {
            self.reply(id, error: error)
        } catch let error as EngineError {
            self.reply(id, error: error.protocolError)
        } catch {
            self.reply(id, error: ProtocolError(.internalError, "\(error)"))
        }
    }

    /// Bytes of publications one reply may carry (the rest is fetched with `history`).
    private var replyBudget: Int { max(self.node.configuration.limits.maxOutboundFrameSize - 1024, 1024) }

    private var connected: (Credentials, String)? {
        self.state.withLock { state in
            if case .connected(let credentials, let session) = state.phase { return (credentials, session) }
            return nil
        }
    }

    // MARK: - connect

    private func connect(id: UInt32, _ request: ConnectRequest) async {
        if self.connected != nil {
            self.reply(id, error: ProtocolError(.alreadyConnected, "already connected"))
            return
        }
        if let version = request.version, version != 1 {
            self.close(.unsupportedVersion)
            return
        }
        let credentials: Credentials
        do {
            credentials = try await self.node.authenticate(request.token)
        } catch {
            self.logger.info("connect refused", metadata: ["reason": "\(error)"])
            self.reply(id, error: ProtocolError(.unauthorized, "\(error)"))
            self.close(.unauthorized)
            return
        }
        // Resume the session if it exists and is this user's.
        var resumed = false
        var sessionID = TetherNode.makeID(prefix: "s-")
        var wanted: [(channel: String, since: StreamPosition?)] = request.subs.map { ($0.channel, $0.since) }
        if let presented = request.session {
            do {
                if let record = try await self.node.engine.sessions.load(presented), record.user == credentials.user {
                    resumed = true
                    sessionID = presented
                    let named = Set(wanted.map(\.channel))
                    for (channel, position) in record.subscriptions.sorted(by: { $0.key < $1.key }) where !named.contains(channel) {
                        wanted.append((channel, position.epoch.isEmpty ? nil : position))
                    }
                }
            } catch {
                self.logger.warning("session store unavailable; starting a new session", metadata: ["error": "\(error)"])
            }
        }
        let stillOpen = self.state.withLock { state -> Bool in
            guard !state.terminated else { return false }
            state.phase = .connected(credentials, session: sessionID)
            return true
        }
        // The socket closed while the token or the session was being checked: nothing to set up.
        guard stillOpen else { return }
        self.node.registerConnected(self, user: credentials.user)

        var results: [SubscribeResult] = []
        var errors: [ChannelError] = []
        var channels: [String] = []
        for (channel, since) in wanted {
            do {
                let plan = try await self.startSubscription(channel: channel, since: since, credentials: credentials)
                results.append(plan.result(channel: channel, recoverable: (self.namespace(of: channel)?.historySize ?? 0) > 0, byteBudget: self.replyBudget / max(wanted.count, 1)))
                channels.append(channel)
            } catch let error as ProtocolError {
                errors.append(ChannelError(channel: channel, error: error))
            } catch let error as EngineError {
                errors.append(ChannelError(channel: channel, error: error.protocolError))
            } catch {
                errors.append(ChannelError(channel: channel, error: ProtocolError(.internalError, "\(error)")))
            }
        }
        let result = ConnectResult(
            client: self.id,
            session: sessionID,
            resumed: resumed,
            node: self.node.configuration.name,
            version: 1,
            pingMs: Int(self.node.configuration.pingInterval.milliseconds),
            sessionTTLMs: Int(self.node.configuration.sessionTTL.milliseconds),
            expiresAt: credentials.expiresAt,
            subs: results,
            subErrors: errors
        )
        self.activate(channels, reply: WireEncoder.reply(id, result))
        await self.saveSession()
    }

    // MARK: - subscribe / unsubscribe

    private func subscribe(id: UInt32, channel: String, since: StreamPosition?, credentials: Credentials) async throws {
        let plan = try await self.startSubscription(channel: channel, since: since, credentials: credentials)
        let recoverable = (self.namespace(of: channel)?.historySize ?? 0) > 0
        self.activate([channel], reply: WireEncoder.reply(id, plan.result(channel: channel, recoverable: recoverable, byteBudget: self.replyBudget)))
        await self.saveSession()
    }

    /// Checks, registers a pending subscription, waits for the broker feed, reads history. The
    /// subscription buffers live pushes until ``activate(_:reply:)``.
    private func startSubscription(channel: String, since: StreamPosition?, credentials: Credentials) async throws -> RecoveryPlan {
        let namespace = try await self.authorizeSubscribe(channel, credentials: credentials)
        try self.state.withLock { state in
            guard !state.terminated else { throw ProtocolError(.internalError, "the connection is closing") }
            guard state.subscriptions[channel] == nil else {
                throw ProtocolError(.alreadySubscribed, "already subscribed to \(channel)")
            }
            guard state.subscriptions.count < self.node.configuration.limits.maxSubscriptionsPerConnection else {
                throw ProtocolError(.limitExceeded, "at most \(self.node.configuration.limits.maxSubscriptionsPerConnection) subscriptions per connection")
            }
            state.subscriptions[channel] = Subscription(namespace: namespace)
        }
        do {
            try await self.node.hub.add(self, to: channel)
            if self.state.withLock({ $0.terminated }) { throw ProtocolError(.internalError, "the connection is closing") }
            let options = self.node.configuration.channelOptions(namespace)
            let history = try await self.node.broker.history(EngineHistoryRequest(
                channel: channel,
                after: since?.offset,
                limit: since == nil ? 0 : namespace.historySize,
                options: options
            ))
            let plan = RecoveryPlan(since: since, history: history)
            self.state.withLock { state in
                state.subscriptions[channel]?.epoch = plan.position.epoch
                state.subscriptions[channel]?.lastOffset = plan.position.offset
            }
            if namespace.presence {
                let info = ClientInfo(client: self.id, user: credentials.user, data: credentials.info)
                let added = try await self.node.engine.presence.add(channel: channel, info: info, lease: self.node.configuration.presenceLease)
                if added, namespace.joinLeave {
                    try await self.node.broker.publishPresence(.join(info), channel: channel)
                }
            }
            return plan
        } catch {
            self.state.withLock { _ = $0.subscriptions.removeValue(forKey: channel) }
            self.node.hub.remove(self, from: channel)
            throw error
        }
    }

    /// Sends `reply`, then every push buffered for `channels` after the reply's positions, and switches
    /// the subscriptions to live delivery — all under the lock, so no live push can overtake the reply.
    private func activate(_ channels: [String], reply: String) {
        let slow = self.state.withLock { state -> Bool in
            var slow = !self.outbound.push(reply)
            for channel in channels {
                guard var subscription = state.subscriptions[channel] else { continue }
                let pending = subscription.pending ?? []
                subscription.pending = nil
                subscription.pendingBytes = 0
                state.subscriptions[channel] = subscription
                for item in pending where self.offerLocked(&state, channel: channel, epoch: item.epoch, offset: item.offset, push: item.push) {
                    slow = true
                }
            }
            return slow
        }
        if slow {
            self.node.metrics.slowConsumerDisconnects.increment()
            self.close(.slowConsumer, flush: false)
        }
    }

    private func unsubscribe(id: UInt32, channel: String) async throws {
        let removed = self.state.withLock { $0.subscriptions.removeValue(forKey: channel) }
        guard let removed else {
            throw ProtocolError(.notSubscribed, "not subscribed to \(channel)")
        }
        self.node.hub.remove(self, from: channel)
        self.reply(id, "{}")
        if let (credentials, _) = self.connected {
            await self.leavePresence(channel, namespace: removed.namespace, credentials: credentials)
        }
        await self.saveSession()
    }

    private func leavePresence(_ channel: String, namespace: NamespaceOptions, credentials: Credentials) async {
        guard namespace.presence else { return }
        do {
            if try await self.node.engine.presence.remove(channel: channel, client: self.id), namespace.joinLeave {
                let info = ClientInfo(client: self.id, user: credentials.user, data: credentials.info)
                try await self.node.broker.publishPresence(.leave(info), channel: channel)
            }
        } catch {
            self.logger.debug("presence removal failed; the lease will expire it", metadata: ["channel": "\(channel)"])
        }
    }

    // MARK: - publish, history, presence, refresh

    private func publish(id: UInt32, _ request: PublishRequest, credentials: Credentials) async throws {
        let namespace = try self.node.namespace(for: request.channel)
        guard namespace.allowPublish else {
            throw ProtocolError(.permissionDenied, "clients may not publish in this namespace")
        }
        if namespace.subscribe == .tokenClaim, !credentials.grants(request.channel) {
            throw ProtocolError(.permissionDenied, "the token does not grant \(request.channel)")
        }
        let info = ClientInfo(client: self.id, user: credentials.user)
        let result = try await self.node.publish(channel: request.channel, data: request.data, key: request.key, info: info, namespace: namespace)
        self.reply(id, WireEncoder.publishResult(result))
    }

    private func history(id: UInt32, channel: String, since: StreamPosition?, limit: Int?, credentials: Credentials) async throws {
        let namespace = try await self.authorizeSubscribe(channel, credentials: credentials)
        guard namespace.historySize > 0 else {
            throw ProtocolError(.notAvailable, "this namespace keeps no history")
        }
        let reply = try await self.node.historyReply(channel: channel, since: since, limit: limit, namespace: namespace)
        self.reply(id, reply)
    }

    /// Presence is readable by whoever may subscribe to the channel (protocol section 3).
    private func presenceNamespace(_ channel: String, credentials: Credentials) async throws -> NamespaceOptions {
        let namespace = try await self.authorizeSubscribe(channel, credentials: credentials)
        guard namespace.presence else {
            throw ProtocolError(.notAvailable, "this namespace has no presence")
        }
        return namespace
    }

    private func refresh(id: UInt32, token: String, credentials: Credentials) async throws {
        let fresh: Credentials
        do {
            fresh = try await self.node.verifyToken(token)
        } catch TokenError.expired {
            throw ProtocolError(.tokenExpired, "the new token has already expired")
        } catch {
            throw ProtocolError(.unauthorized, "\(error)")
        }
        guard fresh.user == credentials.user else {
            throw ProtocolError(.permissionDenied, "a refresh token must name the same user")
        }
        self.state.withLock { state in
            if case .connected(_, let session) = state.phase { state.phase = .connected(fresh, session: session) }
        }
        self.reply(id, WireEncoder.refreshResult(expiresAt: fresh.expiresAt))
    }

    private func authorizeSubscribe(_ channel: String, credentials: Credentials) async throws -> NamespaceOptions {
        let namespace = try self.node.namespace(for: channel)
        if credentials.user.isEmpty, !namespace.allowAnonymous {
            throw ProtocolError(.permissionDenied, "anonymous connections may not use \(channel)")
        }
        switch namespace.subscribe {
        case .any:
            break
        case .tokenClaim:
            guard credentials.grants(channel) else {
                throw ProtocolError(.permissionDenied, "the token does not grant \(channel)")
            }
        case .authorizer:
            guard let authorizer = self.node.authorizer, await authorizer(credentials.user, channel, credentials) else {
                throw ProtocolError(.permissionDenied, "not authorised for \(channel)")
            }
        }
        return namespace
    }

    private func namespace(of channel: String) -> NamespaceOptions? {
        try? self.node.namespace(for: channel)
    }

    // MARK: - Fan-out

    /// A publication push for `channel` (encoded once for every subscriber). Drops what this
    /// connection already has (offset at or below its position in the same epoch).
    func deliver(channel: String, epoch: String, offset: UInt64, push: String) {
        let overflow = self.state.withLock { state -> Bool in
            guard var subscription = state.subscriptions[channel] else { return false }
            if subscription.pending != nil {
                // Bounded like the queue: a connection that cannot take this much while subscribing is too slow.
                subscription.pendingBytes += push.utf8.count
                guard subscription.pendingBytes <= self.outbound.limit else { return true }
                subscription.pending!.append((offset, epoch, push))
                state.subscriptions[channel] = subscription
                return false
            }
            return self.offerLocked(&state, channel: channel, epoch: epoch, offset: offset, push: push)
        }
        if overflow {
            self.node.metrics.slowConsumerDisconnects.increment()
            self.close(.slowConsumer, flush: false)
        }
    }

    /// Offers one publication push to an active subscription; returns true when the connection must be
    /// closed as a slow consumer. Announces every offset the connection will not get (dropped here, or
    /// never received from the engine) with a `gap` push before the next publication that fits.
    @discardableResult
    private func offerLocked(_ state: inout State, channel: String, epoch: String, offset: UInt64, push: String) -> Bool {
        guard var subscription = state.subscriptions[channel] else { return false }
        if epoch == subscription.epoch, offset <= subscription.lastOffset { return false }
        defer { state.subscriptions[channel] = subscription }
        if epoch != subscription.epoch {
            // A new epoch: the pub push itself tells the client to resync; an open gap of the old one is moot.
            subscription.gapFrom = nil
        } else if subscription.gapFrom == nil, offset > subscription.lastOffset + 1 {
            subscription.gapFrom = subscription.lastOffset + 1
        }
        subscription.epoch = epoch
        subscription.lastOffset = offset
        if let gapFrom = subscription.gapFrom, offset > gapFrom {
            guard self.outbound.offer(WireEncoder.gapPush(channel: channel, range: gapFrom...(offset - 1))) else {
                return subscription.namespace.slowConsumer == .disconnect
            }
        }
        subscription.gapFrom = nil
        if self.outbound.offer(push) { return false }
        switch subscription.namespace.slowConsumer {
        case .disconnect:
            return true
        case .gap:
            subscription.gapFrom = offset
            self.node.metrics.gapsStarted.increment()
            return false
        }
    }

    /// A join or leave push for a subscribed channel.
    func deliverPresence(channel: String, push: String) {
        let dropped = self.state.withLock { state -> Bool in
            // Queued under the lock, so it cannot land after an unsubscribe reply.
            guard let subscription = state.subscriptions[channel], subscription.pending == nil else { return false }
            return !self.outbound.offer(push)
        }
        if dropped {
            // Presence pushes are informative; a full queue skips them rather than closing.
            self.node.metrics.droppedPresencePushes.increment()
        }
    }

    // MARK: - Replies and closing

    private func reply(_ id: UInt32, _ result: String) {
        if !self.outbound.push(WireEncoder.reply(id, result: result)) {
            self.close(.slowConsumer, flush: false)
        }
    }

    private func reply(_ id: UInt32, error: ProtocolError) {
        self.node.metrics.commandErrors.increment()
        if !self.outbound.push(WireEncoder.errorReply(id, error)) {
            self.close(.slowConsumer, flush: false)
        }
    }

    /// Sends a `disconnect` push (when `flush`) and closes with `code`. The first close wins.
    public func close(_ code: DisconnectCode, delay: Duration? = nil, flush: Bool = true) {
        let push = flush ? WireEncoder.disconnectPush(code, delayMilliseconds: delay.map { Int($0.milliseconds) }) : nil
        self.outbound.close(code: code.code, reason: code.reason, flush: flush, finalMessage: push)
    }

    // MARK: - Periodic work and the end

    /// Called by the node's ticker: connect deadline, token expiry, `ping` push.
    func tick(now: Int64, pingEvery: Int64) {
        enum Action { case none, stale, expired, ping }
        let action = self.state.withLock { state -> Action in
            switch state.phase {
            case .awaitingConnect:
                return now >= state.connectDeadline ? .stale : .none
            case .connected(let credentials, _):
                if let expiresAt = credentials.expiresAt, now >= expiresAt { return .expired }
                if now - state.lastPingPush >= pingEvery {
                    state.lastPingPush = now
                    return .ping
                }
                return .none
            case .closed:
                return .none
            }
        }
        switch action {
        case .none: break
        case .stale: self.close(.stale)
        case .expired: self.close(.tokenExpired)
        case .ping: _ = self.outbound.offer(WireEncoder.pingPush)
        }
    }

    /// The transport calls this once, when the socket is gone: leaves every channel, removes presence,
    /// and saves the session with the positions sent so the client can resume within the window.
    public func terminated() async {
        let credentials = self.connected?.0
        let subscriptions = self.state.withLock { state in
            state.terminated = true
            return state.subscriptions
        }
        self.outbound.close(code: DisconnectCode.normal.code, reason: "closed", flush: false)
        for channel in subscriptions.keys { self.node.hub.remove(self, from: channel) }
        await self.saveSession(evenIfTerminated: true)
        self.state.withLock { $0.phase = .closed }
        if let credentials {
            for (channel, subscription) in subscriptions {
                await self.leavePresence(channel, namespace: subscription.namespace, credentials: credentials)
            }
        }
        self.node.unregister(self)
    }

    /// The session's record: every channel with the last position sent on it.
    func sessionRecord(evenIfTerminated: Bool = false) -> SessionRecord? {
        self.state.withLock { state in
            guard evenIfTerminated || !state.terminated else { return nil }
            let credentials: Credentials
            let session: String
            switch state.phase {
            case .connected(let c, let s):
                credentials = c
                session = s
            case .closed, .awaitingConnect:
                return nil
            }
            var subscriptions: [String: StreamPosition] = [:]
            for (channel, subscription) in state.subscriptions {
                subscriptions[channel] = StreamPosition(offset: subscription.lastOffset, epoch: subscription.epoch)
            }
            return SessionRecord(id: session, user: credentials.user, subscriptions: subscriptions)
        }
    }

    /// Channels with presence and this connection in them (for lease renewal).
    func presenceChannels() -> [String] {
        self.state.withLock { state in
            state.subscriptions.compactMap { $0.value.namespace.presence && $0.value.pending == nil ? $0.key : nil }
        }
    }

    var subscriptionCount: Int { self.state.withLock { $0.subscriptions.count } }

    func saveSession(evenIfTerminated: Bool = false) async {
        guard let record = self.sessionRecord(evenIfTerminated: evenIfTerminated) else { return }
        do {
            try await self.node.engine.sessions.save(record, ttl: self.node.configuration.sessionTTL)
        } catch {
            self.logger.warning("could not save the session", metadata: ["error": "\(error)"])
        }
    }
}
