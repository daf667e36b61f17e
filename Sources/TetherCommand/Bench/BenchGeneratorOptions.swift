import ArgumentParser

/// `--threads` and `--connect-timeout`: how the load generator of a `tether bench` subcommand runs.
///
/// Like ``BenchTargetOptions`` it has no `validate()`; a command calls ``checkThreads()`` from its own.
struct BenchGeneratorOptions: ParsableArguments {
    @Option(help: "Event-loop threads of the load generator.")
    var threads = 1

    @Option(help: "Limit for each connection's TCP connect plus upgrade.")
    var connectTimeout = BenchDurationArgument(.seconds(10))

    /// Throws a `ValidationError` unless `--threads` is 1...64.
    func checkThreads() throws {
        guard (1...64).contains(self.threads) else { throw ValidationError("--threads must be 1...64") }
    }

    /// Starts `--threads` event loops and returns a connector to `target` on them (bounded by
    /// `--connect-timeout`). The caller shuts the connector's `loops` down.
    func startConnector(
        target: BenchTarget,
        workload: BenchWorkload,
        size: Int,
        sources: [String]
    ) async throws -> BenchConnector {
        BenchConnector(
            target: target,
            loops: try await BenchLoops.start(threads: self.threads),
            workload: workload,
            size: size,
            sources: sources,
            connectTimeout: self.connectTimeout.duration
        )
    }
}
