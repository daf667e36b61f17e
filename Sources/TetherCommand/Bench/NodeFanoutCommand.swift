import ArgumentParser
import Foundation
import NIOCore

/// `tether bench fanout`: publication fan-out throughput and publish-to-delivery latency of a Tether node.
struct NodeFanoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout",
        abstract: "Measure a Tether node's fan-out: deliveries/s and publish-to-receipt latency.",
        discussion: """
            Opens --subscribers Tether connections (connect with a subscription to one of --channels \
            channels), then publishes --rate publications/s in total on a fixed schedule, one publisher per \
            channel, through client `publish` commands (--publish-via client; the namespace must allow \
            client publishes and the node's commands_per_second must allow the per-channel rate) or the \
            server API (--publish-via api). Each publication's data carries its send time; every delivery's \
            latency (receipt minus send, same clock) goes into an HdrHistogram in microseconds. Subscribers \
            track offsets: holes, late (out-of-order) and repeated offsets; at the end, after publishing stops \
            and every subscriber has caught up with the last acknowledged offset of its channel (at most \
            10 s), the remaining holes and the tail are counted as lost. Warm-up statistics are discarded \
            (offset bookkeeping covers the whole run). With --pid, the node's CPU time during the \
            measurement is read from /proc. Subscribers are raw SwiftNIO handlers, so tens of thousands fit \
            in one process (up to its file-descriptor limit).
            """
    )

    @OptionGroup var targetOptions: BenchTargetOptions

    @OptionGroup var node: NodeBenchOptions

    @Option(help: "Number of subscriber connections (1...60000).")
    var subscribers = 1000

    @Option(help: "Publications per second over all channels (1...1000000).")
    var rate = 100

    @Option(help: "Approximate bytes of each publication's data (32...32000).")
    var payload = 64

    @Option(help: "How to publish: client (publish commands on WebSocket connections) or api (POST /api/publish).")
    var publishVia = NodePublishVia.client

    @Option(help: "WebSocket URL of another node for the publishers (default: --url). Subscribers stay on --url, so every delivery crosses the engine (Redis) between the two nodes.")
    var publishURL: String?

    @Option(help: "Server API base URL for --publish-via api (default: the publishers' node's host and port, path /api).")
    var apiURL: String?

    @Option(help: "Server API key for --publish-via api.")
    var apiKey: String?

    @Option(help: "host:port of the Redis the nodes use (Redis engine): report the engine's Redis round trips per publication during the measurement, from INFO commandstats.")
    var redis: String?

    @Option(help: "Measurement time (e.g. 10s; at most 10m).")
    var duration = BenchDurationArgument(.seconds(10))

    @Option(help: "Publishing before measuring; its statistics are discarded.")
    var warmup = BenchDurationArgument(.seconds(2))

    @OptionGroup var generator: BenchGeneratorOptions

    @Flag(help: "Print the result as one JSON object instead of a table.")
    var json = false

    func validate() throws {
        try self.node.check()
        guard (1...60_000).contains(self.subscribers) else { throw ValidationError("--subscribers must be 1...60000") }
        guard (1...1_000_000).contains(self.rate) else { throw ValidationError("--rate must be 1...1000000") }
        guard (32...32_000).contains(self.payload) else { throw ValidationError("--payload must be 32...32000") }
        guard self.duration.duration > .zero, self.duration.duration <= .seconds(600) else {
            throw ValidationError("--duration must be more than 0 and at most 10m")
        }
        guard self.warmup.duration <= .seconds(60) else { throw ValidationError("--warmup must be at most 1m") }
        if self.publishVia == .api, self.apiKey == nil { throw ValidationError("--publish-via api needs --api-key") }
        _ = try self.apiTarget()
        _ = try self.publishTarget()
        if let redis = self.redis { _ = try NodeBenchRedisProbe(address: redis) }
        try self.generator.checkThreads()
    }

    /// Where the publishers connect: --publish-url, or --url.
    private func publishTarget() throws -> BenchTarget {
        try self.publishURL.map { try BenchTarget(url: $0) } ?? self.targetOptions.target()
    }

    /// The server API's address: --api-url, or the publishers' node's host and port with path /api.
    private func apiTarget() throws -> BenchTarget {
        let target = try self.publishTarget()
        guard let apiURL = self.apiURL else {
            var api = target
            api.path = "/api"
            return api
        }
        guard apiURL.hasPrefix("http://") else { throw ValidationError("--api-url must start with http://") }
        return try BenchTarget(url: "ws://" + apiURL.dropFirst("http://".count))
    }

    func run() async throws {
        let target = try self.targetOptions.target()
        let loops = try await NodeBenchLoops.start(threads: self.generator.threads)
        let connector = NodeBenchConnector(
            target: target,
            loops: loops,
            token: self.node.resolvedToken(),
            sources: self.node.sourceAddresses(for: target),
            connectTimeout: self.generator.connectTimeout.duration
        )
        let node = self.node
        let clock = ContinuousClock()
        let connectStart = clock.now
        let opened = await connector.open(
            count: self.subscribers,
            concurrency: self.node.concurrency,
            role: { .subscriber(channel: node.channel($0 % node.channels)) },
            progress: { open, failed in BenchConsole.progress("subscribing: \(open) open, \(failed) failed of \(self.subscribers)") }
        )
        let connectTime = clock.now - connectStart
        BenchConsole.endProgress()

        let channelNames = (0..<self.node.channels).map { self.node.channel($0) }
        let perChannel = Double(self.rate) / Double(channelNames.count)
        let publishTarget = try self.publishTarget()
        let publishConnector = self.publishURL == nil ? connector : NodeBenchConnector(
            target: publishTarget,
            loops: loops,
            token: self.node.resolvedToken(),
            sources: self.node.sourceAddresses(for: publishTarget),
            connectTimeout: self.generator.connectTimeout.duration
        )
        let publishers: BenchConnector.Result
        switch self.publishVia {
        case .client:
            publishers = await publishConnector.open(
                count: channelNames.count,
                concurrency: self.node.concurrency,
                role: { .publisher(channel: channelNames[$0], perSecond: perChannel, size: self.payload) },
                progress: { _, _ in }
            )
        case .api:
            publishers = await publishConnector.openPublishers(
                api: try self.apiTarget(),
                apiKey: self.apiKey ?? "",
                channels: channelNames,
                perSecond: perChannel,
                size: self.payload
            )
        }
        let everything = BenchConnector.Result(
            channels: opened.channels + publishers.channels,
            failures: opened.failures.merging(publishers.failures, uniquingKeysWith: +)
        )
        guard !opened.channels.isEmpty, publishers.channels.count == channelNames.count else {
            await BenchConnector.closeAll(everything.channels)
            await loops.shutdown()
            throw BenchError("could not open every connection: \(everything.failures)")
        }

        let measured = try await self.measure(subscribers: opened.channels, publishers: publishers.channels, loops: loops)
        await BenchConnector.closeAll(everything.channels)
        await loops.shutdown()

        let final = measured.final
        let report = BenchReport(
            url: target.description,
            opening: everything,
            details: NodeFanoutReport(
                subscribers: self.subscribers,
                channels: channelNames.count,
                rate: self.rate,
                payload: self.payload,
                publishVia: self.publishVia.rawValue,
                publishers: publishers.channels.count,
                warmupSeconds: BenchConsole.seconds(self.warmup.duration),
                durationSeconds: measured.elapsed,
                connectSeconds: BenchConsole.seconds(connectTime),
                connectMicroseconds: NodeLatencySummary(final.connect),
                published: measured.atStop.published,
                publishedPerSecond: Double(measured.atStop.published) / measured.elapsed,
                deliveries: measured.atStop.deliveries,
                deliveriesPerSecond: Double(measured.atStop.deliveries) / measured.elapsed,
                publishAcked: measured.warmup.acked + final.acked,
                publishFailed: measured.warmup.publishFailed + final.publishFailed,
                skipped: measured.warmup.skipped + final.skipped,
                lost: final.lost,
                duplicates: measured.warmup.duplicates + final.duplicates,
                outOfOrder: measured.warmup.outOfOrder + final.outOfOrder,
                untimed: measured.warmup.untimed + final.untimed,
                errors: measured.warmup.errors + final.errors,
                disconnected: measured.warmup.disconnected + final.disconnected,
                disconnectPushes: measured.warmup.disconnectPushes + final.disconnectPushes,
                closeCodes: Dictionary(
                    uniqueKeysWithValues: measured.warmup.closeCodes.merging(final.closeCodes, uniquingKeysWith: +).map { (String($0.key), $0.value) }
                ),
                finished: final.finished,
                drainSeconds: measured.drain,
                latencyMicroseconds: NodeLatencySummary(final.latency),
                nodeCPUSeconds: measured.nodeCPU,
                nodeCPUUtilisation: measured.nodeCPU.map { $0 / measured.elapsed },
                deliveriesPerCPUSecond: measured.nodeCPU.flatMap { $0 > 0 ? Double(measured.atStop.deliveries) / $0 : nil },
                generatorCPUUtilisation: measured.generatorCPU.map { $0 / measured.elapsed },
                redisRoundTripsPerPublication: measured.redisCommands.map { commands in
                    let roundTrips = commands.filter { !NodeBenchRedisProbe.scriptInternal.contains($0.key) }.values.reduce(0, +)
                    return measured.atStop.published > 0 ? Double(roundTrips) / Double(measured.atStop.published) : 0
                },
                redisCommands: measured.redisCommands
            )
        )
        print(self.json ? try BenchConsole.json(report) : report.table)
    }

    private struct Measured {
        /// Statistics of the warm-up (discarded from the measurement).
        var warmup: NodeBenchSnapshot
        /// At the end of the measurement (throughput figures).
        var atStop: NodeBenchSnapshot
        /// After the drain and the final bookkeeping (latency, losses).
        var final: NodeBenchSnapshot
        var elapsed: Double
        var drain: Double
        var nodeCPU: Double?
        var generatorCPU: Double?
        /// Commands Redis served during the measurement (with --redis).
        var redisCommands: [String: Int]?
    }

    private func measure(subscribers: [Channel], publishers: [Channel], loops: NodeBenchLoops) async throws -> Measured {
        let clock = ContinuousClock()
        NodeBenchConnector.broadcast(.start, to: publishers)
        if self.warmup.duration > .zero {
            BenchConsole.progress("warming up for \(self.warmup.defaultValueDescription)")
            try await Task.sleep(for: self.warmup.duration)
        }
        let warmup = try await loops.snapshot()
        try await loops.reset()
        let redisProbe = try self.redis.map { try NodeBenchRedisProbe(address: $0) }
        let redisBefore = try await redisProbe?.commandCalls()
        let nodeCPUStart = self.node.pid.flatMap(NodeProcessProbe.cpuSeconds(pid:))
        let ownCPUStart = NodeProcessProbe.ownCPUSeconds()
        let start = clock.now
        let end = start + self.duration.duration
        var previous = (deliveries: 0, published: 0, time: start)
        var previousCPU = nodeCPUStart
        while clock.now < end {
            try await Task.sleep(until: min(end, clock.now + .seconds(1)), clock: clock)
            let snapshot = try await loops.snapshot()
            let now = clock.now
            let seconds = BenchConsole.seconds(now - previous.time)
            let deliveries = Double(snapshot.deliveries - previous.deliveries) / seconds
            let published = Double(snapshot.published - previous.published) / seconds
            var cpuText = ""
            if let pid = self.node.pid, let cpu = NodeProcessProbe.cpuSeconds(pid: pid), let before = previousCPU {
                cpuText = "  node CPU \(String(format: "%.0f", (cpu - before) / seconds * 100))%"
                previousCPU = cpu
            }
            previous = (snapshot.deliveries, snapshot.published, now)
            BenchConsole.progress(
                "\(String(format: "%5.1f", BenchConsole.seconds(now - start)))/\(self.duration.defaultValueDescription)  "
                    + "\(BenchConsole.grouped(Int(published))) pub/s  \(BenchConsole.grouped(Int(deliveries))) deliveries/s  "
                    + "p50 \(snapshot.latency.totalCount == 0 ? 0 : snapshot.latency.valueAtPercentile(50)) µs  "
                    + "p99 \(snapshot.latency.totalCount == 0 ? 0 : snapshot.latency.valueAtPercentile(99)) µs  "
                    + "open \(snapshot.open)  gaps \(snapshot.gaps)\(cpuText)"
            )
        }
        NodeBenchConnector.broadcast(.stop, to: publishers)
        let elapsed = BenchConsole.seconds(clock.now - start)
        let nodeCPUEnd = self.node.pid.flatMap(NodeProcessProbe.cpuSeconds(pid:))
        let ownCPUEnd = NodeProcessProbe.ownCPUSeconds()
        let atStop = try await loops.snapshot()
        var redisCommands: [String: Int]?
        if let redisProbe, let redisBefore {
            redisCommands = NodeBenchRedisProbe.delta(redisBefore, try await redisProbe.commandCalls())
            await redisProbe.shutdown()
        }
        BenchConsole.endProgress()

        // Drain: acknowledgements (≤ 5 s), then every subscriber up to its channel's last offset (≤ 10 s).
        let drainStart = clock.now
        var snapshot = atStop
        for _ in 0..<250 where snapshot.acked + snapshot.publishFailed + warmup.acked + warmup.publishFailed < snapshot.published + warmup.published {
            try await Task.sleep(for: .milliseconds(20))
            snapshot = try await loops.snapshot()
        }
        let lastOffsets = snapshot.lastAcked
        NodeBenchConnector.broadcast(.expect(lastOffsets: lastOffsets), to: subscribers)
        snapshot = try await loops.snapshot()
        for _ in 0..<500 where snapshot.caughtUp < subscribers.filter(\.isActive).count {
            BenchConsole.progress("draining: \(snapshot.caughtUp) of \(subscribers.count) subscribers caught up")
            try await Task.sleep(for: .milliseconds(20))
            snapshot = try await loops.snapshot()
        }
        NodeBenchConnector.broadcast(.finish(lastOffsets: lastOffsets), to: subscribers)
        let final = try await loops.snapshot()
        let drain = BenchConsole.seconds(clock.now - drainStart)
        BenchConsole.endProgress()
        return Measured(
            warmup: warmup,
            atStop: atStop,
            final: final,
            elapsed: elapsed,
            drain: drain,
            nodeCPU: nodeCPUStart.flatMap { start in nodeCPUEnd.map { $0 - start } },
            generatorCPU: ownCPUStart.flatMap { start in ownCPUEnd.map { $0 - start } },
            redisCommands: redisCommands
        )
    }
}

