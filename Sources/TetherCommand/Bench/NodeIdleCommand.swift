import ArgumentParser
import Foundation

/// `tether bench node-idle`: the memory a Tether node spends per idle, subscribed connection.
struct NodeIdleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node-idle",
        abstract: "Hold many idle, subscribed Tether connections; report the node's RSS per connection.",
        discussion: """
            Reads the node's VmRSS (/proc/PID/status of --pid), opens --connections Tether connections (each \
            connects and subscribes to one of --channels channels, at most --concurrency at a time), waits \
            --settle, reads VmRSS again, and reports the growth divided by the connections open. Then holds \
            them for --hold (answering pings) and reports how many the node kept open.
            """
    )

    @OptionGroup var targetOptions: BenchTargetOptions

    @OptionGroup var node: NodeBenchOptions

    @Option(help: "Number of connections (1...60000).")
    var connections = 5000

    @Option(help: "Wait after opening before reading the node's RSS again.")
    var settle = BenchDurationArgument(.seconds(2))

    @Option(help: "How long to hold the connections after the second reading (at most 1h).")
    var hold = BenchDurationArgument(.seconds(5))

    @OptionGroup var generator: BenchGeneratorOptions

    @Flag(help: "Print the result as one JSON object instead of a table.")
    var json = false

    func validate() throws {
        try self.node.check()
        guard (1...60_000).contains(self.connections) else { throw ValidationError("--connections must be 1...60000") }
        guard self.settle.duration <= .seconds(60) else { throw ValidationError("--settle must be at most 1m") }
        guard self.hold.duration <= .seconds(3600) else { throw ValidationError("--hold must be at most 1h") }
        try self.generator.checkThreads()
    }

    func run() async throws {
        let target = try self.targetOptions.target()
        let loops = try await NodeBenchLoops.start(threads: self.generator.threads)
        let sources = self.node.sourceAddresses(for: target)
        let connector = NodeBenchConnector(
            target: target,
            loops: loops,
            token: self.node.resolvedToken(),
            sources: sources,
            connectTimeout: self.generator.connectTimeout.duration
        )
        let node = self.node
        let rssBefore = self.node.pid.flatMap(NodeProcessProbe.residentKiB(pid:))
        let clock = ContinuousClock()
        let openStart = clock.now
        let opened = await connector.open(
            count: self.connections,
            concurrency: self.node.concurrency,
            role: { .subscriber(channel: node.channel($0 % node.channels)) },
            progress: { open, failed in BenchConsole.progress("opening: \(open) open, \(failed) failed of \(self.connections)") }
        )
        let openTime = clock.now - openStart
        BenchConsole.endProgress()

        var snapshot: NodeBenchSnapshot
        var rssAfter: Int?
        var holdTime = Duration.zero
        do {
            try await Task.sleep(for: self.settle.duration)
            rssAfter = self.node.pid.flatMap(NodeProcessProbe.residentKiB(pid:))
            snapshot = try await loops.snapshot()
            let openAtReading = snapshot.open
            let holdStart = clock.now
            let holdEnd = holdStart + self.hold.duration
            while clock.now < holdEnd {
                try await Task.sleep(until: min(holdEnd, clock.now + .seconds(1)), clock: clock)
                snapshot = try await loops.snapshot()
                BenchConsole.progress(
                    "holding: \(snapshot.open) open, \(snapshot.disconnected) closed by the node, "
                        + "\(String(format: "%.0f", BenchConsole.seconds(clock.now - holdStart)))/\(self.hold.defaultValueDescription)"
                )
            }
            holdTime = clock.now - holdStart
            BenchConsole.endProgress()
            let report = BenchReport(
                url: target.description,
                opening: opened,
                details: NodeIdleReport(
                    requested: self.connections,
                    channels: self.node.channels,
                    sources: max(1, sources.count),
                    openSeconds: BenchConsole.seconds(openTime),
                    connectMicroseconds: NodeLatencySummary(snapshot.connect),
                    rssBeforeKiB: rssBefore,
                    rssAfterKiB: rssAfter,
                    kibPerConnection: rssBefore.flatMap { before in
                        rssAfter.flatMap { after in openAtReading > 0 ? Double(after - before) / Double(openAtReading) : nil }
                    },
                    holdSeconds: BenchConsole.seconds(holdTime),
                    openAtEnd: snapshot.open,
                    disconnected: snapshot.disconnected
                )
            )
            await BenchConnector.closeAll(opened.channels)
            await loops.shutdown()
            print(self.json ? try BenchConsole.json(report) : report.table)
        } catch {
            await BenchConnector.closeAll(opened.channels)
            await loops.shutdown()
            throw error
        }
    }
}
