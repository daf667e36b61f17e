import ArgumentParser
import Foundation

/// `tether bench idle`: how many idle WebSocket connections a target accepts, how fast, and whether it
/// keeps them.
struct BenchIdleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle",
        abstract: "Open many idle WebSocket connections and hold them.",
        discussion: """
            Opens --connections WebSocket connections (at most --concurrency handshakes at a time), bound \
            round-robin to --sources local addresses 127.0.0.1, 127.0.0.2, … so that one source address's \
            ephemeral ports are not exhausted. Reports how many opened and failed and how long opening took, \
            then holds them for --hold (answering pings) and reports how many were still open. With \
            --ready-file, the opening result is written there as JSON as soon as opening is done, so a script \
            can measure the target while the connections are held. Each process may hold at most as many \
            connections as its file-descriptor limit (ulimit -n) allows.
            """
    )

    @OptionGroup var targetOptions: BenchTargetOptions

    @Option(help: "Number of connections to open (1...60000).")
    var connections = 1000

    @Option(help: "How long to hold the connections once opened.")
    var hold = BenchDurationArgument(.seconds(10))

    @Option(help: "Number of local source addresses (127.0.0.1 ... 127.0.0.N, 1...250).")
    var sources = 4

    @Option(help: "Most handshakes in flight at once.")
    var concurrency = 256

    @OptionGroup var generator: BenchGeneratorOptions

    @Option(help: "Write the opening result (JSON) to this file once opening is done.")
    var readyFile: String?

    @Flag(help: "Print the result as one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard (1...60_000).contains(self.connections) else { throw ValidationError("--connections must be 1...60000") }
        guard (1...250).contains(self.sources) else { throw ValidationError("--sources must be 1...250") }
        guard (1...10_000).contains(self.concurrency) else { throw ValidationError("--concurrency must be 1...10000") }
        try self.generator.checkThreads()
        guard self.hold.duration <= .seconds(3600) else { throw ValidationError("--hold must be at most 1h") }
    }

    func run() async throws {
        let target = try self.targetOptions.target()
        let sources = target.host == "::1" ? [] : (1...self.sources).map { "127.0.0.\($0)" }
        let connector = try await self.generator.startConnector(target: target, workload: .idle, size: 0, sources: sources)
        let loops = connector.loops
        let clock = ContinuousClock()
        let openStart = clock.now
        let opened = await connector.open(count: self.connections, concurrency: self.concurrency) { open, failed in
            BenchConsole.progress("opening: \(open) open, \(failed) failed of \(self.connections)")
        }
        let openTime = clock.now - openStart
        BenchConsole.endProgress()
        var report = BenchReport(
            url: target.description,
            opening: opened,
            details: BenchIdleReport(
                requested: self.connections,
                sources: max(1, sources.count),
                openSeconds: BenchConsole.seconds(openTime),
                holdSeconds: 0,
                openAtEnd: nil,
                disconnected: nil
            )
        )
        if let readyFile = self.readyFile {
            try Data(try BenchConsole.json(report).utf8).write(to: URL(fileURLWithPath: readyFile), options: .atomic)
        }

        try await connector.closing(opened) {
            let holdStart = clock.now
            let holdEnd = holdStart + self.hold.duration
            var snapshot = try await loops.snapshot()
            while clock.now < holdEnd {
                try await Task.sleep(until: min(holdEnd, clock.now + .seconds(1)), clock: clock)
                snapshot = try await loops.snapshot()
                BenchConsole.progress(
                    "holding: \(snapshot.open) open, \(snapshot.disconnected) closed by the peer, "
                        + "\(String(format: "%.0f", BenchConsole.seconds(clock.now - holdStart)))/\(self.hold.defaultValueDescription)"
                )
            }
            BenchConsole.endProgress()
            report.details.holdSeconds = BenchConsole.seconds(clock.now - holdStart)
            report.details.openAtEnd = snapshot.open
            report.details.disconnected = snapshot.disconnected
        }
        print(self.json ? try BenchConsole.json(report) : report.table)
    }
}
