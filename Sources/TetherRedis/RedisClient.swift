import Logging
import NIOCore
import NIOSSL
import Synchronization

/// A pooled Redis client: up to `poolSize` connections, opened lazily, each carrying any number of pipelined
/// calls.
///
/// Contracts:
/// - Thread-safe; every method may be called concurrently from any task.
/// - Calls are spread round-robin over the pool. One call's reply is never matched to another call; calls made
///   one after the other by one task are executed by Redis in that order only within one ``pipeline(_:)``
///   (separate `send`s may go to different connections).
/// - Every call ends: with its reply, ``RedisError/server(code:message:)`` for an error reply,
///   ``RedisError/timeout`` after `commandTimeout` (the connection is then replaced), or
///   ``RedisError/connectionClosed`` when its connection drops. A timed-out or dropped call may or may not have
///   been executed by Redis.
/// - While Redis is unreachable calls fail fast with ``RedisError/connectFailed(_:)``: after a failed connect a
///   slot waits (`reconnectBackoff`, doubling) before trying again, and calls that find no live connection in
///   that window fail at once instead of queueing.
/// - At most `maxPendingCommands` calls are in flight; beyond that calls fail with ``RedisError/tooManyPending``.
/// - A blocking command (`BLPOP`, `XREAD BLOCK`) holds its connection and delays every call queued behind it
///   on that connection: give blocking work its own client (`poolSize: 1`) and pass a longer `timeout`.
/// - `MULTI`...`EXEC` must go in one ``pipeline(_:)`` (one connection); separate `send`s may use different ones.
/// - Cancelling the calling task does not cancel a call already written: it ends with its reply or timeout.
/// - Logs connects and connect failures at info/debug; nothing per call.
/// - Call ``shutdown()`` before dropping the client; connections are not closed by `deinit`.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let state: Mutex<State>
    private let inFlight = Atomic<Int>(0)
    private let nextSlot = Atomic<Int>(0)

    private struct Slot {
        var connection: RedisConnection?
        var connecting: EventLoopFuture<RedisConnection>?
        var failures = 0
        var retryAt: ContinuousClock.Instant?
        var lastError: RedisError?
    }

    private struct State {
        var slots: [Slot]
        var closed = false
        var sslContext: NIOSSLContext?
    }

    public init(configuration: RedisConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.state = Mutex(State(slots: Array(repeating: Slot(), count: configuration.poolSize)))
    }

    // MARK: Calls

    /// Sends one command and returns its reply; an error reply is thrown as ``RedisError/server(code:message:)``.
    public func send(_ command: RESPCommand) async throws -> RESPValue {
        try await send(command, timeout: configuration.commandTimeout)
    }

    /// Like ``send(_:)`` with its own timeout, for blocking commands.
    public func send(_ command: RESPCommand, timeout: Duration) async throws -> RESPValue {
        try reserve(1)
        defer { release(1) }
        let connection = try await connection()
        let value = try await connection.send([command], timeout: timeout)[0]
        if let error = value.serverError { throw error }
        return value
    }

    /// `send(RESPCommand(name, args))`.
    public func send(_ name: String, _ args: RESPArgument...) async throws -> RESPValue {
        try await send(RESPCommand(name, args))
    }

    /// Sends all `commands` in one write on one connection; Redis runs them in order (not atomically: other
    /// connections' commands may interleave; wrap in `MULTI`/`EXEC` for that). Each result is its reply or its
    /// error (error replies included). Throws only if no connection could be had.
    public func pipeline(_ commands: [RESPCommand]) async throws -> [Result<RESPValue, RedisError>] {
        if commands.isEmpty { return [] }
        try reserve(commands.count)
        defer { release(commands.count) }
        let connection = try await connection()
        return await connection.pipeline(commands, timeout: configuration.commandTimeout).map { result in
            result.flatMap { value in value.serverError.map { .failure($0) } ?? .success(value) }
        }
    }

    /// Runs `script` with `EVALSHA`; if Redis answers `NOSCRIPT`, loads it with `SCRIPT LOAD` and runs
    /// `EVALSHA` once more.
    public func eval(_ script: RedisScript, keys: [RESPArgument], args: [RESPArgument]) async throws -> RESPValue {
        let command = RESPCommand("EVALSHA", [.string(script.sha1), .int(keys.count)] + keys + args)
        do {
            return try await send(command)
        } catch let RedisError.server(code, _) where code == "NOSCRIPT" {
            _ = try await send(RESPCommand("SCRIPT LOAD", [.string(script.source)]))
            return try await send(command)
        }
    }

    /// Closes every connection; calls still pending fail with ``RedisError/poolClosed``, later calls too.
    public func shutdown() async {
        let (connections, connecting) = state.withLock { state -> ([RedisConnection], [EventLoopFuture<RedisConnection>]) in
            state.closed = true
            let connections = state.slots.compactMap(\.connection)
            let connecting = state.slots.compactMap(\.connecting)
            for index in state.slots.indices {
                state.slots[index].connection = nil
                state.slots[index].connecting = nil
            }
            return (connections, connecting)
        }
        for future in connecting { _ = try? await future.get() }
        for connection in connections {
            connection.close(with: .poolClosed)
            await connection.waitClosed()
        }
    }

    // MARK: Pool

    private func reserve(_ count: Int) throws(RedisError) {
        let after = inFlight.add(count, ordering: .relaxed).newValue
        if after > configuration.maxPendingCommands {
            inFlight.subtract(count, ordering: .relaxed)
            throw .tooManyPending
        }
    }

    private func release(_ count: Int) {
        inFlight.subtract(count, ordering: .relaxed)
    }

    private enum Pick {
        case use(RedisConnection)
        case wait(EventLoopFuture<RedisConnection>)
        case fail(RedisError)
    }

    private func connection() async throws(RedisError) -> RedisConnection {
        let start = nextSlot.add(1, ordering: .relaxed).oldValue
        var toStart: (Int, EventLoopPromise<RedisConnection>)?
        let pick: Pick = state.withLock { state in
            if state.closed { return .fail(.poolClosed) }
            let count = state.slots.count
            let index = ((start % count) + count) % count
            if let connection = state.slots[index].connection, connection.isActive {
                return .use(connection)
            }
            let live = Self.anyLive(state.slots, from: index)
            if let connecting = state.slots[index].connecting {
                return live.map { .use($0) } ?? .wait(connecting)
            }
            if let retryAt = state.slots[index].retryAt, ContinuousClock.now < retryAt {
                // Backing off after a failed connect: use another live connection or fail fast.
                if let live { return .use(live) }
                if let connecting = state.slots.lazy.compactMap(\.connecting).first { return .wait(connecting) }
                return .fail(state.slots[index].lastError ?? .connectFailed("backing off"))
            }
            let promise = eventLoopGroup.next().makePromise(of: RedisConnection.self)
            state.slots[index].connection = nil
            state.slots[index].connecting = promise.futureResult
            toStart = (index, promise)
            return live.map { .use($0) } ?? .wait(promise.futureResult)
        }
        if let (index, promise) = toStart {
            startConnecting(slot: index, promise: promise)
        }
        switch pick {
        case .use(let connection):
            return connection
        case .wait(let future):
            do {
                return try await future.get()
            } catch {
                throw (error as? RedisError) ?? .connectFailed("\(error)")
            }
        case .fail(let error):
            throw error
        }
    }

    private static func anyLive(_ slots: [Slot], from index: Int) -> RedisConnection? {
        for offset in 1..<max(slots.count, 1) {
            if let connection = slots[(index + offset) % slots.count].connection, connection.isActive {
                return connection
            }
        }
        return nil
    }

    private func startConnecting(slot index: Int, promise: EventLoopPromise<RedisConnection>) {
        let eventLoop = promise.futureResult.eventLoop
        Task {
            do throws(RedisError) {
                let sslContext = try self.sslContext()
                let connection = try await RedisConnection.connect(
                    configuration: configuration, eventLoop: eventLoop, sslContext: sslContext, logger: logger)
                let accepted = state.withLock { state -> Bool in
                    state.slots[index].connecting = nil
                    if state.closed { return false }
                    state.slots[index].connection = connection
                    state.slots[index].failures = 0
                    state.slots[index].retryAt = nil
                    state.slots[index].lastError = nil
                    return true
                }
                guard accepted else {
                    connection.close(with: .poolClosed)
                    promise.fail(RedisError.poolClosed)
                    return
                }
                logger.info("Redis connection established", metadata: [
                    "redis.host": "\(configuration.host):\(configuration.port)", "redis.slot": "\(index)",
                    "redis.protocol": "\(connection.protocolVersion)",
                ])
                connection.channel.closeFuture.whenComplete { [weak self] _ in
                    self?.connectionClosed(connection, slot: index)
                }
                promise.succeed(connection)
            } catch {
                let delay = state.withLock { state -> Duration in
                    state.slots[index].connecting = nil
                    state.slots[index].failures += 1
                    let delay = Self.backoff(configuration.reconnectBackoff, failures: state.slots[index].failures)
                    state.slots[index].retryAt = ContinuousClock.now + delay
                    state.slots[index].lastError = error
                    return delay
                }
                logger.debug("Redis connect failed", metadata: [
                    "redis.host": "\(configuration.host):\(configuration.port)", "redis.slot": "\(index)",
                    "error": "\(error)", "redis.retry_in": "\(delay)",
                ])
                promise.fail(error)
            }
        }
    }

    private func connectionClosed(_ connection: RedisConnection, slot index: Int) {
        let wasCurrent = state.withLock { state -> Bool in
            guard state.slots[index].connection === connection else { return false }
            state.slots[index].connection = nil
            return true
        }
        if wasCurrent {
            logger.info("Redis connection closed; reconnecting on next use", metadata: [
                "redis.host": "\(configuration.host):\(configuration.port)", "redis.slot": "\(index)",
            ])
        }
    }

    private func sslContext() throws(RedisError) -> NIOSSLContext? {
        guard let tls = configuration.tls else { return nil }
        return try state.withLock { state throws(RedisError) -> NIOSSLContext in
            if let context = state.sslContext { return context }
            do {
                let context = try NIOSSLContext(configuration: tls)
                state.sslContext = context
                return context
            } catch {
                throw .connectFailed("TLS configuration: \(error)")
            }
        }
    }

    /// `initial * 2^(failures-1)`, capped at `maximum`.
    static func backoff(_ backoff: RedisConfiguration.Backoff, failures: Int) -> Duration {
        var delay = backoff.initial
        var step = 1
        while step < failures && delay < backoff.maximum {
            delay *= 2
            step += 1
        }
        return min(delay, backoff.maximum)
    }
}
