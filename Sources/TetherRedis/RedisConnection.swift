import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// One connection to Redis after its handshake (TLS, `HELLO 3` or `AUTH`, `SELECT`).
///
/// Thread-safe: every method may be called from any thread or task. Calls are written in call order (per
/// caller) and their replies complete in that order. Server error replies are returned as values here; the
/// client turns them into thrown errors.
final class RedisConnection: Sendable {
    let channel: any Channel
    /// The protocol the handshake settled on.
    let protocolVersion: RedisConfiguration.ProtocolVersion

    private let health: RedisConnectionHealth

    private init(channel: any Channel, protocolVersion: RedisConfiguration.ProtocolVersion, health: RedisConnectionHealth) {
        self.channel = channel
        self.protocolVersion = protocolVersion
        self.health = health
    }

    /// Open and not failed (a timed-out connection is failed before its callers resume).
    var isActive: Bool { !health.isFailed && channel.isActive }
    var eventLoop: any EventLoop { channel.eventLoop }

    /// Opens a connection and runs the handshake; throws ``RedisError/connectFailed(_:)`` or
    /// ``RedisError/authenticationFailed(_:)``. `onPush` makes it a pub/sub connection (see
    /// ``RedisConnectionHandler``); it is called on the connection's event loop.
    static func connect(
        configuration: RedisConfiguration,
        eventLoop: any EventLoop,
        sslContext: NIOSSLContext?,
        logger: Logger,
        onPush: (@Sendable ([RESPValue]) -> Void)? = nil
    ) async throws(RedisError) -> RedisConnection {
        let hostname = configuration.serverHostname ?? configuration.host
        let sniHostname = Self.isIPAddress(hostname) ? nil : hostname
        let limits = configuration.parserLimits
        let health = RedisConnectionHealth()
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let sslContext {
                        try sync.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: sniHostname))
                    }
                    try sync.addHandler(ByteToMessageHandler(RESPFrameDecoder(limits: limits)))
                    try sync.addHandler(RedisConnectionHandler(health: health, onPush: onPush))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch {
            throw .connectFailed("\(configuration.host):\(configuration.port): \(error)")
        }
        do {
            let version = try await handshake(channel: channel, configuration: configuration, logger: logger)
            return RedisConnection(channel: channel, protocolVersion: version, health: health)
        } catch {
            channel.close(promise: nil)
            switch error {
            case .authenticationFailed, .connectFailed: throw error
            default: throw .connectFailed("handshake with \(configuration.host):\(configuration.port): \(error)")
            }
        }
    }

    private static func handshake(
        channel: any Channel, configuration: RedisConfiguration, logger: Logger
    ) async throws(RedisError) -> RedisConfiguration.ProtocolVersion {
        let timeout = configuration.connectTimeout
        var version = configuration.protocolVersion
        if version == .resp3 {
            var arguments: [RESPArgument] = ["3"]
            if let password = configuration.password {
                arguments += ["AUTH", .string(configuration.username ?? "default"), .string(password)]
            }
            if let name = configuration.clientName {
                arguments += ["SETNAME", .string(name)]
            }
            let reply = try await send(on: channel, [RESPCommand("HELLO", arguments)], timeout: timeout)[0]
            if case .server(let code, let message)? = reply.serverError {
                if isAuthenticationError(code: code, message: message) {
                    throw .authenticationFailed("\(code) \(message)")
                }
                logger.debug("Redis refused HELLO 3, falling back to RESP2", metadata: ["error": "\(code) \(message)"])
                version = .resp2
            }
        }
        if version == .resp2, let password = configuration.password {
            var arguments: [RESPArgument] = []
            if let username = configuration.username { arguments.append(.string(username)) }
            arguments.append(.string(password))
            let reply = try await send(on: channel, [RESPCommand("AUTH", arguments)], timeout: timeout)[0]
            if case .server(let code, let message)? = reply.serverError {
                throw .authenticationFailed("\(code) \(message)")
            }
        }
        if version == .resp2, let name = configuration.clientName {
            let reply = try await send(on: channel, [RESPCommand("CLIENT SETNAME", [.string(name)])], timeout: timeout)[0]
            if case .server(let code, let message)? = reply.serverError {
                throw .connectFailed("CLIENT SETNAME \(name): \(code) \(message)")
            }
        }
        if configuration.database != 0 {
            let reply = try await send(on: channel, [RESPCommand("SELECT", [.int(configuration.database)])], timeout: timeout)[0]
            if case .server(let code, let message)? = reply.serverError {
                throw .connectFailed("SELECT \(configuration.database): \(code) \(message)")
            }
        }
        return version
    }

    private static func isAuthenticationError(code: String, message: String) -> Bool {
        code == "WRONGPASS" || code == "NOAUTH" || code == "NOPERM"
            || (code == "ERR" && message.lowercased().contains("password"))
    }

    // MARK: Sending

    /// Writes `commands` in one write and returns their replies in order. Throws only for transport failures
    /// (timeout, connection closed, protocol error); error replies are values.
    func send(_ commands: [RESPCommand], timeout: Duration) async throws(RedisError) -> [RESPValue] {
        try await Self.send(on: channel, commands, timeout: timeout)
    }

    /// Like ``send(_:timeout:)`` but a timeout or lost connection fails every command, while each command's
    /// own result stays separate.
    func pipeline(_ commands: [RESPCommand], timeout: Duration) async -> [Result<RESPValue, RedisError>] {
        let promises = Self.submit(on: channel, commands, timeout: timeout)
        var results: [Result<RESPValue, RedisError>] = []
        results.reserveCapacity(promises.count)
        for promise in promises {
            do {
                results.append(.success(try await promise.futureResult.get()))
            } catch {
                results.append(.failure((error as? RedisError) ?? .connectionClosed))
            }
        }
        return results
    }

    /// Writes a (un)subscribe command expecting one confirmation of `kind` per channel; the returned future
    /// completes after all of them. The write is queued on the event loop at once (never run inline), so
    /// calls made under a lock reach the server in the order they were made.
    func submitSubscription(_ command: RESPCommand, kind: String, count: Int, timeout: Duration) -> EventLoopFuture<RESPValue> {
        var bytes = channel.allocator.buffer(capacity: command.estimatedLength)
        command.encode(into: &bytes)
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        let request = RedisRequest(
            bytes: bytes, responses: [.confirmations(kind: kind, count: count, promise)],
            deadline: .now() + TimeAmount(timeout))
        let channel = self.channel
        channel.eventLoop.execute {
            channel.writeAndFlush(request).whenFailure { _ in request.fail(.connectionClosed) }
        }
        return promise.futureResult
    }

    /// Fails everything pending with `error` and closes.
    func close(with error: RedisError) {
        channel.triggerUserOutboundEvent(RedisCloseEvent(error: error), promise: nil)
    }

    /// Returns once the channel is closed.
    func waitClosed() async {
        try? await channel.closeFuture.get()
    }

    private static func submit(on channel: any Channel, _ commands: [RESPCommand], timeout: Duration) -> [EventLoopPromise<RESPValue>] {
        var bytes = channel.allocator.buffer(capacity: commands.reduce(0) { $0 + $1.estimatedLength })
        var promises: [EventLoopPromise<RESPValue>] = []
        promises.reserveCapacity(commands.count)
        for command in commands {
            command.encode(into: &bytes)
            promises.append(channel.eventLoop.makePromise(of: RESPValue.self))
        }
        let request = RedisRequest(
            bytes: bytes, responses: promises.map { .reply($0) }, deadline: .now() + TimeAmount(timeout))
        channel.writeAndFlush(request).whenFailure { _ in request.fail(.connectionClosed) }
        return promises
    }

    private static func send(on channel: any Channel, _ commands: [RESPCommand], timeout: Duration) async throws(RedisError) -> [RESPValue] {
        let promises = submit(on: channel, commands, timeout: timeout)
        var values: [RESPValue] = []
        values.reserveCapacity(promises.count)
        for promise in promises {
            do {
                values.append(try await promise.futureResult.get())
            } catch {
                throw (error as? RedisError) ?? .connectionClosed
            }
        }
        return values
    }

    private static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let nanos = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        self = nanos.overflow ? .nanoseconds(Int64.max) : .nanoseconds(nanos.partialValue + attoseconds / 1_000_000_000)
    }
}
