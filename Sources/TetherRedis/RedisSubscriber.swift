import Logging
import NIOCore
import NIOSSL
import Synchronization

/// A dedicated pub/sub connection that keeps itself connected and subscribed.
///
/// Contracts:
/// - Thread-safe; methods may be called concurrently from any task.
/// - The subscriber remembers what it should be subscribed to (the channels, patterns and shard channels
///   passed to `subscribe`/`psubscribe`/`ssubscribe` and not unsubscribed since). When its connection drops it
///   reports ``ConnectionEvent/disconnected(_:)``, reconnects with backoff (`reconnectBackoff`), subscribes to
///   all of them again, and only then reports ``ConnectionEvent/connected(resubscribed:)``. A connection that
///   does not answer a `PING` (sent every `pubSubPingInterval`) within `commandTimeout` counts as dropped.
/// - `onMessage` is called on the connection's event loop, one message at a time, in the order Redis sent
///   them (so the messages of one channel stay in publish order). It must not block: hand heavy work off.
///   `onConnectionChange` is called from the subscriber's own task, never concurrently with itself.
/// - Messages of a channel can reach `onMessage` before the `subscribe` call that asked for it returns (the
///   confirmation and the first messages race to the caller): start buffering before calling `subscribe`.
/// - Messages published while the connection was down are lost (Redis pub/sub is fire-and-forget); use the
///   `connected` event to catch up from a durable source.
/// - In RESP3 messages arrive as push frames, in RESP2 as arrays; both are delivered the same way.
/// - `ssubscribe` needs Redis 7; in a cluster every channel of one call must hash to the same slot.
public final class RedisSubscriber: Sendable {
    /// Connection state changes, in order.
    public enum ConnectionEvent: Sendable {
        /// Connected and every remembered subscription confirmed again (`resubscribed` is how many).
        case connected(resubscribed: Int)
        /// The connection was lost (or the first attempt in ``start()`` failed); reconnecting in the background.
        case disconnected(any Error)
    }

    enum Kind: CaseIterable, Sendable {
        case channel, pattern, shard

        var subscribeCommand: String {
            switch self {
            case .channel: "SUBSCRIBE"
            case .pattern: "PSUBSCRIBE"
            case .shard: "SSUBSCRIBE"
            }
        }

        var unsubscribeCommand: String {
            switch self {
            case .channel: "UNSUBSCRIBE"
            case .pattern: "PUNSUBSCRIBE"
            case .shard: "SUNSUBSCRIBE"
            }
        }
    }

    private struct State {
        /// What the user asked for.
        var desired: [Kind: Set<String>] = [.channel: [], .pattern: [], .shard: []]
        /// What has been sent on the current connection.
        var onConnection: [Kind: Set<String>] = [.channel: [], .pattern: [], .shard: []]
        var connection: RedisConnection?
        /// `onConnection` caught up with `desired` on `connection`: new subscriptions go straight to it.
        var ready = false
        /// Subscribe calls waiting for the current connection to finish re-subscribing.
        var readyWaiters: [CheckedContinuation<Void, any Error>] = []
        var started = false
        var closed = false
        var task: Task<Void, Never>?
    }

    public let configuration: RedisConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let onMessage: @Sendable (RedisPubSubMessage) -> Void
    private let onConnectionChange: @Sendable (ConnectionEvent) -> Void
    private let state = Mutex(State())

    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        onMessage: @escaping @Sendable (RedisPubSubMessage) -> Void,
        onConnectionChange: @escaping @Sendable (ConnectionEvent) -> Void
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onMessage = onMessage
        self.onConnectionChange = onConnectionChange
    }

    /// Starts the connection loop and returns after its first connect attempt, successful or not (a failure is
    /// reported as ``ConnectionEvent/disconnected(_:)`` and retried in the background; it is not thrown).
    /// Throws ``RedisError/poolClosed`` after ``shutdown()``. Calling it again does nothing.
    public func start() async throws {
        let promise = eventLoopGroup.next().makePromise(of: Void.self)
        do {
            try state.withLock { state throws(RedisError) in
                if state.closed { throw .poolClosed }
                if state.started {
                    promise.succeed()
                    return
                }
                state.started = true
                state.task = Task { await self.run(firstAttempt: promise) }
            }
        } catch {
            promise.fail(error)  // a promise must never be dropped unfulfilled
            throw error
        }
        try await promise.futureResult.get()
    }

    /// Subscribes to `channels` and returns once Redis confirmed all of them (while a new connection is still
    /// re-subscribing, once it has finished, these included). The channels are remembered even if this throws
    /// (``RedisError/connectionClosed`` while disconnected, ``RedisError/timeout``): they are subscribed when
    /// the connection is back. Call ``unsubscribe(_:)`` to forget them.
    public func subscribe(_ channels: [String]) async throws { try await change(.channel, add: channels) }
    /// Forgets `channels` and unsubscribes; returns once Redis confirmed (at once when disconnected).
    public func unsubscribe(_ channels: [String]) async throws { try await change(.channel, remove: channels) }
    /// Like ``subscribe(_:)`` for glob-style patterns (`PSUBSCRIBE`).
    public func psubscribe(_ patterns: [String]) async throws { try await change(.pattern, add: patterns) }
    public func punsubscribe(_ patterns: [String]) async throws { try await change(.pattern, remove: patterns) }
    /// Like ``subscribe(_:)`` for sharded channels (`SSUBSCRIBE`, Redis 7+).
    public func ssubscribe(_ channels: [String]) async throws { try await change(.shard, add: channels) }
    public func sunsubscribe(_ channels: [String]) async throws { try await change(.shard, remove: channels) }

    /// Stops reconnecting and closes the connection; pending subscribe calls fail with ``RedisError/poolClosed``.
    /// No callback is called after it returns.
    public func shutdown() async {
        let (connection, task) = state.withLock { state in
            state.closed = true
            state.ready = false
            let connection = state.connection
            state.connection = nil
            return (connection, state.task)
        }
        task?.cancel()
        releaseReadyWaiters(.poolClosed)
        if let connection {
            connection.close(with: .poolClosed)
            await connection.waitClosed()
        }
        await task?.value
    }

    // MARK: Subscriptions

    private func change(_ kind: Kind, add: [String] = [], remove: [String] = []) async throws {
        let isAdd = !add.isEmpty
        let names = Array(Set(isAdd ? add : remove))
        if names.isEmpty { return }
        enum Next {
            case sent(EventLoopFuture<RESPValue>)
            case done
            /// Connected but still re-subscribing: the reconcile loop subscribes the new names too.
            case awaitReady
        }
        let next = try state.withLock { state throws(RedisError) -> Next in
            if state.closed { throw .poolClosed }
            if isAdd {
                state.desired[kind]!.formUnion(names)
            } else {
                state.desired[kind]!.subtract(names)
            }
            guard state.ready, let connection = state.connection else {
                if isAdd, state.connection != nil { return .awaitReady }
                if isAdd { throw .connectionClosed }
                return .done
            }
            if isAdd {
                state.onConnection[kind]!.formUnion(names)
            } else {
                state.onConnection[kind]!.subtract(names)
            }
            return .sent(submit(kind, subscribe: isAdd, names, on: connection))
        }
        do {
            switch next {
            case .sent(let future): _ = try await future.get()
            case .done: break
            case .awaitReady: try await self.awaitReady()
            }
        } catch let error as RedisError {
            if case .server = error, isAdd { forget(kind, names) }
            throw error
        }
    }

    /// Waits until the current connection has re-subscribed everything (including names added meanwhile).
    private func awaitReady() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { state -> Result<Void, RedisError>? in
                if state.closed { return .failure(.poolClosed) }
                if state.ready { return .success(()) }
                if state.connection == nil { return .failure(.connectionClosed) }
                state.readyWaiters.append(continuation)
                return nil
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }

    /// Resumes the callers waiting in ``awaitReady()``: with success once ready, else with `error`.
    private func releaseReadyWaiters(_ error: RedisError?) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            defer { state.readyWaiters = [] }
            return state.readyWaiters
        }
        for waiter in waiters {
            if let error { waiter.resume(throwing: error) } else { waiter.resume() }
        }
    }

    /// Drops names Redis refused (an error reply, e.g. `SSUBSCRIBE` on Redis 6), so reconnects do not retry
    /// them forever.
    private func forget(_ kind: Kind, _ names: [String]) {
        state.withLock { state in
            state.desired[kind]!.subtract(names)
            state.onConnection[kind]!.subtract(names)
        }
        logger.warning("Redis refused a subscription; dropped", metadata: ["redis.names": "\(names)"])
    }

    private func submit(_ kind: Kind, subscribe: Bool, _ names: [String], on connection: RedisConnection) -> EventLoopFuture<RESPValue> {
        let name = subscribe ? kind.subscribeCommand : kind.unsubscribeCommand
        return connection.submitSubscription(
            RESPCommand(name, names.map { .string($0) }), kind: name.lowercased(), count: names.count,
            timeout: configuration.commandTimeout)
    }

    /// Sends what the connection lacks until it matches `desired`, then marks it ready. Returns how many
    /// subscriptions were made.
    private func reconcile(_ connection: RedisConnection) async throws -> Int {
        var subscribed = 0
        while true {
            typealias Work = (kind: Kind, names: [String], future: EventLoopFuture<RESPValue>)
            let added = try state.withLock { state throws(RedisError) -> [Work] in
                if state.closed { throw .poolClosed }
                var added: [Work] = []
                for kind in Kind.allCases {
                    let add = Array(state.desired[kind]!.subtracting(state.onConnection[kind]!))
                    let remove = Array(state.onConnection[kind]!.subtracting(state.desired[kind]!))
                    state.onConnection[kind] = state.desired[kind]
                    if !add.isEmpty { added.append((kind, add, submit(kind, subscribe: true, add, on: connection))) }
                    // Unsubscribes are not awaited: they cannot be refused, and replies stay in order anyway.
                    if !remove.isEmpty { _ = submit(kind, subscribe: false, remove, on: connection) }
                }
                if added.isEmpty { state.ready = true }
                return added
            }
            if added.isEmpty { return subscribed }
            for work in added {
                do {
                    _ = try await work.future.get()
                    subscribed += work.names.count
                } catch let error as RedisError {
                    // Redis answers a refused SUBSCRIBE with one error for the whole command. A temporary one
                    // (a long script running: BUSY; loading: LOADING; failover) must not cost any name: give up
                    // this connection and retry later. A definitive one: find the refused names one by one.
                    guard case .server(let code, _) = error, !Self.temporaryCodes.contains(code) else { throw error }
                    subscribed += try await self.subscribeOneByOne(work.kind, work.names, on: connection)
                }
            }
        }
    }

    /// Error codes that say "not now" rather than "never".
    static let temporaryCodes: Set<String> = ["BUSY", "LOADING", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN", "NOREPLICAS", "READONLY"]

    /// Subscribes `names` one command each, forgetting only those Redis refuses; returns how many it got.
    private func subscribeOneByOne(_ kind: Kind, _ names: [String], on connection: RedisConnection) async throws -> Int {
        var subscribed = 0
        for name in names {
            do {
                _ = try await submit(kind, subscribe: true, [name], on: connection).get()
                subscribed += 1
            } catch let error as RedisError {
                guard case .server(let code, _) = error, !Self.temporaryCodes.contains(code) else { throw error }
                forget(kind, [name])
            }
        }
        return subscribed
    }

    /// Pings `connection` every `pubSubPingInterval` until cancelled; closes it when a ping goes unanswered
    /// (the connection loop then reconnects and re-subscribes).
    private func keepChecking(_ connection: RedisConnection) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: configuration.pubSubPingInterval)
            } catch {
                return
            }
            do {
                _ = try await connection.send([RESPCommand("PING")], timeout: configuration.commandTimeout)
            } catch {
                if Task.isCancelled { return }
                logger.warning("Redis subscriber connection did not answer a ping; replacing it", metadata: ["error": "\(error)"])
                connection.close(with: .connectionClosed)
                return
            }
        }
    }

    // MARK: Connection loop

    private func deliver(_ elements: [RESPValue]) {
        if let message = RedisPubSubMessage(elements: elements) {
            onMessage(message)
        }
    }

    private var isClosed: Bool { state.withLock { $0.closed } }

    private func run(firstAttempt: EventLoopPromise<Void>) async {
        var failures = 0
        var first: EventLoopPromise<Void>? = firstAttempt
        var reportedDown = false
        let target = "\(configuration.host):\(configuration.port)"
        while !isClosed {
            var connection: RedisConnection?
            do {
                let sslContext = try configuration.tls.map { try NIOSSLContext(configuration: $0) }
                let established = try await RedisConnection.connect(
                    configuration: configuration, eventLoop: eventLoopGroup.next(), sslContext: sslContext,
                    logger: logger, onPush: { [weak self] elements in self?.deliver(elements) })
                connection = established
                let installed = state.withLock { state -> Bool in
                    if state.closed { return false }
                    state.connection = established
                    state.ready = false
                    for kind in Kind.allCases { state.onConnection[kind] = [] }
                    return true
                }
                guard installed else {
                    established.close(with: .poolClosed)
                    break
                }
                let count = try await reconcile(established)
                releaseReadyWaiters(nil)
                failures = 0
                reportedDown = false
                logger.info("Redis subscriber connected", metadata: ["redis.host": "\(target)", "redis.resubscribed": "\(count)"])
                if !isClosed { onConnectionChange(.connected(resubscribed: count)) }
                first?.succeed()
                first = nil
                let health = Task { await self.keepChecking(established) }
                await established.waitClosed()
                health.cancel()
                state.withLock { state in
                    if state.connection === established {
                        state.connection = nil
                        state.ready = false
                    }
                }
                releaseReadyWaiters(.connectionClosed)
                if isClosed { break }
                logger.info("Redis subscriber disconnected; reconnecting", metadata: ["redis.host": "\(target)"])
                onConnectionChange(.disconnected(RedisError.connectionClosed))
                reportedDown = true
            } catch {
                connection?.close(with: .connectionClosed)
                state.withLock { state in
                    if let connection, state.connection === connection {
                        state.connection = nil
                        state.ready = false
                    }
                }
                releaseReadyWaiters(.connectionClosed)
                if isClosed { break }
                failures += 1
                logger.debug("Redis subscriber connect failed", metadata: ["redis.host": "\(target)", "error": "\(error)"])
                if !reportedDown {
                    onConnectionChange(.disconnected(error))
                    reportedDown = true
                }
                first?.succeed()
                first = nil
            }
            if failures > 0 {
                do {
                    try await Task.sleep(for: RedisClient.backoff(configuration.reconnectBackoff, failures: failures))
                } catch {
                    break
                }
            }
        }
        first?.succeed()
    }
}
