import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Opens node-bench connections: WebSocket clients that are ready once the node answered `connect`
/// (``NodeClientHandler``), and server-API publishers (``NodeAPIPublisherHandler``).
///
/// Connections are spread over the loops of ``NodeBenchLoops`` and, when `sources` is not empty, bound
/// round-robin to those local addresses. Each is bounded by `connectTimeout` (TCP connect, upgrade and the
/// connect reply).
struct NodeBenchConnector: Sendable {
    var target: BenchTarget
    var loops: NodeBenchLoops
    var token: String?
    var sources: [String]
    var connectTimeout: Duration

    /// Opens `count` WebSocket connections, connection `i` in `role(i)`, at most `concurrency` at a time.
    /// `progress` is called at most once a second with (opened, failed) so far, and once at the end.
    func open(
        count: Int,
        concurrency: Int,
        role: @escaping @Sendable (Int) -> NodeClientRole,
        progress: (Int, Int) -> Void
    ) async -> BenchConnector.Result {
        var result = BenchConnector.Result()
        var lastProgress = ContinuousClock.now
        await withTaskGroup(of: Swift.Result<Channel, Error>.self) { group in
            var started = 0
            func collect(_ outcome: Swift.Result<Channel, Error>) {
                switch outcome {
                case .success(let channel): result.channels.append(channel)
                case .failure(let error): result.failures[Self.describe(error), default: 0] += 1
                }
                if ContinuousClock.now - lastProgress >= .seconds(1) {
                    lastProgress = .now
                    progress(result.channels.count, result.failed)
                }
            }
            while started < count {
                if started >= concurrency, let outcome = await group.next() {
                    collect(outcome)
                }
                let index = started
                group.addTask {
                    do { return .success(try await self.connect(index: index, role: role(index))) } catch { return .failure(error) }
                }
                started += 1
            }
            for await outcome in group {
                collect(outcome)
            }
        }
        progress(result.channels.count, result.failed)
        return result
    }

    private func connect(index: Int, role: NodeClientRole) async throws -> Channel {
        let loop = self.loops.group.next()
        let ready = loop.makePromise(of: Void.self)
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let target = self.target
        let token = self.token
        let loops = self.loops
        let startedAt = NIODeadline.now().uptimeNanoseconds
        var bootstrap = ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(TimeAmount(self.connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(NodeFrameDecoder()),
                        NodeClientHandler(
                            target: target,
                            key: key,
                            token: token,
                            role: role,
                            stats: loops.stats(on: channel.eventLoop),
                            startedAt: startedAt,
                            ready: ready
                        ),
                    ])
                }
            }
        if !self.sources.isEmpty {
            bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: self.sources[index % self.sources.count], port: 0))
        }
        return try await self.finish(bootstrap.connect(host: target.host, port: target.port), ready: ready, on: loop)
    }

    /// Opens one server-API publisher per entry of `channels`, each publishing `perSecond` to its channel.
    func openPublishers(
        api: BenchTarget,
        apiKey: String,
        channels: [String],
        perSecond: Double,
        size: Int
    ) async -> BenchConnector.Result {
        var result = BenchConnector.Result()
        for channelName in channels {
            let loop = self.loops.group.next()
            let ready = loop.makePromise(of: Void.self)
            let loops = self.loops
            let bootstrap = ClientBootstrap(group: loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connectTimeout(TimeAmount(self.connectTimeout))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(
                            NodeAPIPublisherHandler(
                                api: api,
                                apiKey: apiKey,
                                channel: channelName,
                                perSecond: perSecond,
                                size: size,
                                stats: loops.stats(on: channel.eventLoop),
                                ready: ready
                            )
                        )
                    }
                }
            do {
                result.channels.append(try await self.finish(bootstrap.connect(host: api.host, port: api.port), ready: ready, on: loop))
            } catch {
                result.failures[Self.describe(error), default: 0] += 1
            }
        }
        return result
    }

    /// Awaits `connecting` and then `ready`, bounded by `connectTimeout`; closes the channel on failure.
    private func finish(_ connecting: EventLoopFuture<Channel>, ready: EventLoopPromise<Void>, on loop: EventLoop) async throws -> Channel {
        let channel: Channel
        do {
            channel = try await connecting.get()
        } catch {
            ready.fail(error)
            throw error
        }
        let timeout = self.connectTimeout
        let deadline = loop.scheduleTask(in: TimeAmount(timeout)) {
            ready.fail(BenchError("not ready within \(timeout)"))
            channel.close(promise: nil)
        }
        do {
            try await ready.futureResult.get()
            deadline.cancel()
            return channel
        } catch {
            deadline.cancel()
            try? await channel.close()
            throw error
        }
    }

    static func broadcast(_ control: NodeBenchControl, to channels: [Channel]) {
        for channel in channels {
            channel.pipeline.fireUserInboundEventTriggered(control)
        }
    }

    private static func describe(_ error: Error) -> String {
        if let error = error as? BenchError { return error.description }
        return String(describing: error)
    }
}
