import ArgumentParser
import NIOCore

/// `tether bench echo`: message throughput and round-trip latency against an echo server (directly or
/// through a proxy).
struct BenchEchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "Measure echo throughput and round-trip latency.",
        discussion: """
            Opens --connections WebSocket connections, then sends binary messages of --size bytes for \
            --warmup plus --duration. With --rate 0 (closed loop) every connection keeps --in-flight messages \
            outstanding and sends the next as soon as an echo arrives: this measures the most messages/s the \
            path can carry. With --rate R the connections together send R messages/s on a fixed schedule, \
            whatever the replies do: this measures latency at a given load. Round-trip times are recorded in \
            microseconds in an HdrHistogram (3 significant digits). Statistics gathered during the warm-up are \
            discarded. After --duration, sending stops and replies still in flight are awaited for up to 2 s \
            (they count toward latency, not throughput).
            """
    )

    @OptionGroup var targetOptions: BenchTargetOptions

    @Option(help: "Number of WebSocket connections (1...20000).")
    var connections = 50

    @Option(help: "Aggregate messages per second over all connections; 0 = closed loop (as fast as echoes return).")
    var rate = 0

    @Option(help: "Payload bytes per message (0...16777216).")
    var size = 64

    @Option(help: "Measurement time (e.g. 10s, 500ms, 2m; at most 1h).")
    var duration = BenchDurationArgument(.seconds(10))

    @Option(help: "Time sending before measuring; its statistics are discarded.")
    var warmup = BenchDurationArgument(.seconds(1))

    @Option(name: .customLong("in-flight"), help: "Closed loop only: messages outstanding per connection (1...1000).")
    var inFlight = 1

    @OptionGroup var generator: BenchGeneratorOptions

    @Flag(help: "Print the result as one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard (1...20_000).contains(self.connections) else { throw ValidationError("--connections must be 1...20000") }
        guard (0...10_000_000).contains(self.rate) else { throw ValidationError("--rate must be 0...10000000") }
        guard (0...(16 << 20)).contains(self.size) else { throw ValidationError("--size must be 0...16777216") }
        guard self.duration.duration > .zero, self.duration.duration <= .seconds(3600) else {
            throw ValidationError("--duration must be more than 0 and at most 1h")
        }
        guard self.warmup.duration <= .seconds(600) else { throw ValidationError("--warmup must be at most 10m") }
        guard (1...1000).contains(self.inFlight) else { throw ValidationError("--in-flight must be 1...1000") }
        try self.generator.checkThreads()
    }

    func run() async throws {
        let target = try self.targetOptions.target()
        let workload: BenchWorkload =
            self.rate == 0
            ? .closedLoop(inFlight: self.inFlight) : .rate(perSecond: Double(self.rate) / Double(self.connections))
        let connector = try await self.generator.startConnector(target: target, workload: workload, size: self.size, sources: [])
        let loops = connector.loops
        let opened = await connector.open(count: self.connections, concurrency: 128) { open, failed in
            BenchConsole.progress("connecting: \(open) open, \(failed) failed")
        }
        BenchConsole.endProgress()
        guard !opened.channels.isEmpty else {
            await loops.shutdown()
            throw BenchError("no connection opened: \(opened.failures)")
        }

        let measured = try await connector.closing(opened) {
            try await self.measure(channels: opened.channels, loops: loops)
        }

        let report = BenchReport(
            url: target.description,
            opening: opened,
            details: BenchEchoReport(
                connections: self.connections,
                rate: self.rate,
                inFlight: self.inFlight,
                size: self.size,
                warmup: BenchConsole.seconds(self.warmup.duration),
                warmupReceived: measured.warmup.received,
                measured: measured.snapshot,
                final: measured.final,
                elapsed: BenchConsole.seconds(measured.elapsed)
            )
        )
        print(self.json ? try BenchConsole.json(report) : report.table)
    }

    /// Runs warm-up and measurement; returns the statistics of the warm-up, at the end of the measurement
    /// (for throughput), after the drain (for latency), and the measured time.
    private func measure(
        channels: [Channel],
        loops: BenchLoops
    ) async throws -> (warmup: BenchSnapshot, snapshot: BenchSnapshot, final: BenchSnapshot, elapsed: Duration) {
        let clock = ContinuousClock()
        BenchConnector.broadcast(.start, to: channels)
        if self.warmup.duration > .zero {
            BenchConsole.progress("warming up for \(self.warmup.defaultValueDescription)")
            try await Task.sleep(for: self.warmup.duration)
        }
        let warmup = try await loops.snapshot()
        try await loops.reset()
        let start = clock.now
        let end = start + self.duration.duration
        var previousReceived = 0
        var previousTime = start
        while clock.now < end {
            try await Task.sleep(until: min(end, clock.now + .seconds(1)), clock: clock)
            let snapshot = try await loops.snapshot()
            let now = clock.now
            let perSecond = Double(snapshot.received - previousReceived) / BenchConsole.seconds(now - previousTime)
            previousReceived = snapshot.received
            previousTime = now
            BenchConsole.progress(
                "\(String(format: "%5.1f", BenchConsole.seconds(now - start)))/\(self.duration.defaultValueDescription)  "
                    + "\(BenchConsole.grouped(Int(perSecond))) msg/s  p50 \(snapshot.rtt(50)) µs  p99 \(snapshot.rtt(99)) µs  "
                    + "open \(snapshot.open)  errors \(snapshot.errors + snapshot.mismatched)"
            )
        }
        BenchConnector.broadcast(.stop, to: channels)
        let elapsed = clock.now - start
        let atStop = try await loops.snapshot()
        // Await replies still in flight: at most 2 s, polled every 20 ms.
        var final = atStop
        for _ in 0..<100 where final.received < final.sent && final.open > 0 {
            try await Task.sleep(for: .milliseconds(20))
            final = try await loops.snapshot()
        }
        BenchConsole.endProgress()
        return (warmup, atStop, final, elapsed)
    }
}
