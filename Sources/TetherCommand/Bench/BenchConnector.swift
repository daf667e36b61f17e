import Foundation
import NIOCore
import NIOPosix

/// Opens load-generator connections and completes their WebSocket handshakes.
///
/// Connections are spread over the loops of ``BenchLoops`` and, when `sources` is not empty, bound round-robin
/// to those local addresses (127.0.0.1, 127.0.0.2, …) so one source address's port range is not exhausted.
/// Each connection is bounded by `connectTimeout` (TCP connect plus handshake).
struct BenchConnector: Sendable {
    var target: BenchTarget
    var loops: BenchLoops
    var workload: BenchWorkload
    var size: Int
    var sources: [String]
    var connectTimeout: Duration

    /// The outcome of ``open(count:concurrency:progress:)``.
    struct Result: Sendable {
        var channels: [Channel] = []
        /// Failure reasons and how often each occurred.
        var failures: [String: Int] = [:]
        var failed: Int { self.failures.values.reduce(0, +) }
    }

    /// Opens `count` connections with at most `concurrency` handshakes in flight. `progress` is called at
    /// most once a second with (opened, failed) so far.
    func open(count: Int, concurrency: Int, progress: (Int, Int) -> Void) async -> Result {
        var result = Result()
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
                    do { return .success(try await self.connect(index: index)) } catch { return .failure(error) }
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

    private func connect(index: Int) async throws -> Channel {
        let loop = self.loops.group.next()
        let handshake = loop.makePromise(of: Void.self)
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let target = self.target
        let size = self.size
        let workload = self.workload
        let loops = self.loops
        var bootstrap = ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(TimeAmount(self.connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(BenchFrameDecoder()),
                        BenchConnectionHandler(
                            target: target,
                            key: key,
                            size: size,
                            workload: workload,
                            stats: loops.stats(on: channel.eventLoop),
                            handshake: handshake
                        ),
                    ])
                }
            }
        if !self.sources.isEmpty {
            bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: self.sources[index % self.sources.count], port: 0))
        }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: target.host, port: target.port).get()
        } catch {
            handshake.fail(error)
            throw error
        }
        let timeout = self.connectTimeout
        let deadline = loop.scheduleTask(in: TimeAmount(timeout)) {
            handshake.fail(BenchError("no upgrade response within \(timeout)"))
            channel.close(promise: nil)
        }
        do {
            try await handshake.futureResult.get()
            deadline.cancel()
            return channel
        } catch {
            deadline.cancel()
            try? await channel.close()
            throw error
        }
    }

    /// Sends `control` to every connection.
    static func broadcast(_ control: BenchControl, to channels: [Channel]) {
        for channel in channels {
            channel.pipeline.fireUserInboundEventTriggered(control)
        }
    }

    /// Closes every connection and waits for the closes (bounded by the number of channels).
    static func closeAll(_ channels: [Channel]) async {
        for channel in channels {
            channel.close(promise: nil)
        }
        for channel in channels {
            try? await channel.closeFuture.get()
        }
    }

    private static func describe(_ error: Error) -> String {
        if let error = error as? BenchError { return error.description }
        if let error = error as? IOError { return "\(error)" }
        return String(describing: error)
    }
}
