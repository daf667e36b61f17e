import Logging
import TetherProtocol

/// A Tether protocol v1 client (docs/protocol.md): one WebSocket connection to a node, re-established with
/// backoff whenever it drops, resuming the session and recovering every subscription so the application
/// sees each publication exactly once and in order, or an exact gap.
///
/// Lifecycle: ``connect()`` starts the client and returns once a node accepted `connect`; it reconnects on
/// its own after a lost connection or a close code that allows it (``DisconnectCode/shouldReconnect(closeCode:)``),
/// on the next URL, after a jittered backoff (at least the `delay` of a `disconnect` push), with a fresh
/// token from ``Configuration/tokenProvider``. A final close code (`3500`, `1009`, …) stops it: waiting calls
/// and subscriptions fail with ``TetherClientError/closed(code:reason:error:)``. ``disconnect()`` stops it
/// for good (call it before dropping the client: its tasks keep it alive until then).
///
/// Requests (``publish(_:data:key:)``, ``history(_:since:limit:)``, …) made while (re)connecting wait for
/// the connection; requests in flight when it drops are re-sent after the resume, publishes with their
/// original idempotency key, so a publish whose reply was lost returns the original position (with
/// `duplicate: true`). Cancelling a waiting call stops the wait but cannot unsend a command.
///
/// Threading: an actor; every method may be called from any task.
public actor TetherClient {
    public nonisolated let configuration: Configuration
    nonisolated let urlProvider: @Sendable (Int) async -> String
    nonisolated let transport: any TetherTransport
    nonisolated let logger: Logger
    nonisolated let broadcaster = StateBroadcaster()

    // Lifecycle
    var running = false
    var loopTask: Task<Void, Never>?
    var link: Link?
    var generation = 0
    var urlAttempt = 0
    var attempt = 0
    var session: String?
    var lastDisconnect: (code: UInt16, reason: String, reconnect: Bool, delayMs: Int?)?
    var connectError: ProtocolError?
    var connectWaiters: [Int: CheckedContinuation<Void, any Error>] = [:]

    // Commands
    var nextID: UInt32 = 0
    var pending: [UInt32: PendingCommand] = [:]
    var queued: [ClientRequest] = []
    var nextTicket = 0
    var cancelledTickets: Set<Int> = []

    // Subscriptions
    var channels: [String: ChannelState] = [:]

    // Testing hooks
    var dropNextPublishReply = false

    /// A client for one node URL (`ws://host:port/connection/websocket`).
    public init(
        url: String,
        configuration: Configuration = Configuration(),
        transport: any TetherTransport = WebSocketTransport(),
        logger: Logger = Logger(label: "tether.client")
    ) {
        self.init(urlProvider: { _ in url }, configuration: configuration, transport: transport, logger: logger)
    }

    /// A client that fails over between `urls`: each new connection attempt after a failure or a lost
    /// connection uses the next one, round robin. `urls` must not be empty.
    public init(
        urls: [String],
        configuration: Configuration = Configuration(),
        transport: any TetherTransport = WebSocketTransport(),
        logger: Logger = Logger(label: "tether.client")
    ) {
        precondition(!urls.isEmpty, "TetherClient needs at least one URL")
        self.init(
            urlProvider: { attempt in urls[attempt % urls.count] },
            configuration: configuration, transport: transport, logger: logger
        )
    }

    /// A client that asks `urlProvider` for the URL of every connection attempt (service discovery).
    /// `attempt` counts attempts that followed a failure or a lost connection, from 0.
    public init(
        urlProvider: @escaping @Sendable (_ attempt: Int) async -> String,
        configuration: Configuration = Configuration(),
        transport: any TetherTransport = WebSocketTransport(),
        logger: Logger = Logger(label: "tether.client")
    ) {
        self.urlProvider = urlProvider
        self.configuration = configuration
        self.transport = transport
        self.logger = logger
    }

    // MARK: - Lifecycle

    /// Connection state changes: each stream starts with the current state (`disconnected(1000, false)`
    /// before the first ``connect()``) and ends when the client stops (a final close or ``disconnect()``).
    public nonisolated var states: AsyncStream<ConnectionState> { self.broadcaster.stream() }

    /// The latest connection state.
    public nonisolated var state: ConnectionState { self.broadcaster.current }

    /// Starts the client if needed and waits until a node accepts `connect` (retrying with backoff
    /// meanwhile). Throws ``TetherClientError/closed(code:reason:error:)`` on a final close (e.g. a bad token:
    /// `3500` with error `101`) and ``TetherClientError/notConnected`` if ``disconnect()`` is called first.
    /// Cancelling the caller stops the wait (`CancellationError`), not the client.
    public func connect() async throws {
        if !self.running {
            self.running = true
            self.loopTask = Task { await self.runLoop() }
        }
        if self.link?.established == true { return }
        self.nextTicket += 1
        let ticket = self.nextTicket
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    waiter.resume(throwing: CancellationError())
                } else {
                    self.connectWaiters[ticket] = waiter
                }
            }
        } onCancel: {
            Task { await self.cancelConnectWait(ticket) }
        }
    }

    private func cancelConnectWait(_ ticket: Int) {
        self.connectWaiters.removeValue(forKey: ticket)?.resume(throwing: CancellationError())
    }

    /// Stops the client: closes the socket with `1000`, fails waiting calls with
    /// ``TetherClientError/notConnected``, ends every subscription's sequence normally and forgets the
    /// session. ``connect()`` may be called again afterwards (a fresh session).
    public func disconnect() async {
        guard self.running else { return }
        let link = self.link
        let task = self.loopTask
        self.stop(error: nil, code: DisconnectCode.normal.code)
        if let link { await link.connection.close(code: DisconnectCode.normal.code, reason: "normal") }
        task?.cancel()
        await task?.value
    }

    /// Whether the client is started (between ``connect()`` and a stop).
    public var isRunning: Bool { self.running }

    // MARK: - Subscriptions

    /// Subscribes to `channel` and returns once the node answered. With `since` (a position from an earlier
    /// subscription), the publications after it are recovered first, or reported as a gap.
    ///
    /// Throws ``ProtocolError`` (`102`, `103`, `105` when already subscribed here, `115`, …) or
    /// ``TetherClientError``. While reconnecting, the subscription is made by the next `connect`.
    /// Cancelling the calling task abandons the subscription (`CancellationError`).
    public func subscribe(_ channel: String, since: StreamPosition? = nil) async throws -> Subscription {
        guard self.running else { throw TetherClientError.notConnected }
        if let error = ChannelName.validate(channel) { throw error }
        guard self.channels[channel] == nil else {
            throw ProtocolError(.alreadySubscribed, "already subscribed to \(channel)")
        }
        let subscription = Subscription(channel: channel, client: self, position: since)
        let identity = ObjectIdentifier(subscription)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Subscription, any Error>) in
                if Task.isCancelled {
                    waiter.resume(throwing: CancellationError())
                    return
                }
                self.channels[channel] = ChannelState(subscription: subscription, position: since, waiter: waiter)
                if self.link?.established == true { self.sendSubscribe(channel) }
            }
        } onCancel: {
            Task { await self.cancelSubscribe(channel, identity) }
        }
    }

    /// A cancelled ``subscribe(_:since:)`` still waiting for its result: forget it (and leave the channel on
    /// the node, in case the command was sent).
    private func cancelSubscribe(_ channel: String, _ identity: ObjectIdentifier) {
        guard let state = self.channels[channel], ObjectIdentifier(state.subscription) == identity,
            let waiter = state.waiter
        else { return }
        self.channels.removeValue(forKey: channel)
        waiter.resume(throwing: CancellationError())
        state.subscription.continuation.finish()
        if self.link?.established == true { self.sendIgnored(.unsubscribe(channel: channel)) }
    }

    /// Leaves `channel`: its sequence ends at once and no more events are delivered. Throws `113` when not
    /// subscribed here.
    public func unsubscribe(_ channel: String) async throws {
        guard let state = self.channels.removeValue(forKey: channel) else {
            throw ProtocolError(.notSubscribed, "not subscribed to \(channel)")
        }
        state.waiter?.resume(throwing: CancellationError())
        state.subscription.continuation.finish()
        if self.link?.established == true { self.sendIgnored(.unsubscribe(channel: channel)) }
    }

    // MARK: - Requests

    /// Publishes `data` to `channel`. `key` (1–64 printable ASCII characters) makes it idempotent; one is
    /// generated when nil. If the connection drops before the reply, the publish is re-sent with the same
    /// key after the resume, so it is made at most once (within the node's idempotency window). Data that
    /// would make the command larger than ``Configuration/maxCommandSize`` fails locally with `112`.
    public func publish(_ channel: String, data: RawJSON, key: String? = nil) async throws -> PublishResult {
        let key = key ?? Self.makeKey()
        // `{"id":4294967295,"op":"publish","channel":…,"data":…,"key":…}`: the fixed part is under 64 bytes;
        // channel and key are plain ASCII here or the node refuses them anyway.
        let size = data.byteCount + channel.utf8.count + key.utf8.count + 64
        if size > self.configuration.maxCommandSize {
            throw ProtocolError(
                .messageTooLarge,
                "the publish command would be about \(size) bytes; the node accepts \(self.configuration.maxCommandSize)"
            )
        }
        let value = try await self.perform(.publish(PublishRequest(channel: channel, data: data, key: key)))
        return try Self.decode(PublishResult.self, value)
    }

    /// Reads `channel`'s history: publications after `since` (or the oldest held), at most `limit`.
    public func history(_ channel: String, since: StreamPosition? = nil, limit: Int? = nil) async throws -> HistoryResult {
        let value = try await self.perform(.history(HistoryRequest(channel: channel, since: since, limit: limit)))
        return try Self.decode(HistoryResult.self, value)
    }

    /// The connections present in `channel`.
    public func presence(_ channel: String) async throws -> PresenceResult {
        try Self.decode(PresenceResult.self, try await self.perform(.presence(channel: channel)))
    }

    /// How many connections and distinct users are present in `channel`.
    public func presenceStats(_ channel: String) async throws -> PresenceStatsResult {
        try Self.decode(PresenceStatsResult.self, try await self.perform(.presenceStats(channel: channel)))
    }

    /// One round trip to the node.
    public func ping() async throws {
        _ = try await self.perform(.ping)
    }

    /// Sends `op` once connected and returns its result; re-sent after a reconnect when `resend`.
    func perform(_ op: ClientCommand.Operation, resend: Bool = true) async throws -> JSONValue {
        guard self.running else { throw TetherClientError.notConnected }
        self.nextTicket += 1
        let ticket = self.nextTicket
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if self.cancelledTickets.remove(ticket) != nil {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                let request = ClientRequest(ticket: ticket, op: op, resend: resend, continuation: continuation)
                if self.link?.established == true {
                    self.send(request)
                } else {
                    self.queued.append(request)
                }
            }
        } onCancel: {
            Task { await self.cancel(ticket: ticket) }
        }
    }

    private func cancel(ticket: Int) {
        if let index = self.queued.firstIndex(where: { $0.ticket == ticket }) {
            self.queued.remove(at: index).continuation.resume(throwing: CancellationError())
            return
        }
        for (id, entry) in self.pending {
            if case .request(let request) = entry, request.ticket == ticket {
                self.pending[id] = .ignored
                request.continuation.resume(throwing: CancellationError())
                return
            }
        }
        self.cancelledTickets.insert(ticket)
    }

    static func decode<T: JSONDecodable>(_ type: T.Type, _ value: JSONValue) throws -> T {
        do {
            return try T(json: value)
        } catch {
            throw TetherClientError.invalidReply(error.message)
        }
    }

    /// A random idempotency key: 22 characters from `[0-9A-Za-z]` (about 131 bits).
    static func makeKey() -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(22)
        for _ in 0..<22 { bytes.append(alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Testing hooks

    /// Drops the current connection as if the network failed (no close frame is awaited); the client then
    /// reconnects as after any loss.
    @_spi(Testing) public func simulateConnectionLoss() {
        self.link?.connection.abort()
    }

    /// The next publish reply is discarded and the connection dropped right away, so the publish is re-sent
    /// after the resume (to test idempotent retries).
    @_spi(Testing) public func dropConnectionOnNextPublishReply() {
        self.dropNextPublishReply = true
    }
}
