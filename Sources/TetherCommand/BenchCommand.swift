import ArgumentParser

/// `tether bench`: the load generator used by `scripts/bench-gateway`.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load generator: echo throughput and latency, idle connections; Tether node fan-out and idle memory.",
        discussion: """
            Loopback targets only (ws://127.x.x.x, ws://[::1], ws://localhost). Connections run as SwiftNIO \
            handlers on --threads event loops, with no task per message (one core drove about 170k echoes/s \
            with --in-flight 16 on the 2-core development machine). Progress is printed on stderr once a \
            second; the result goes to stdout as a table, or as one JSON object with --json.
            """,
        subcommands: [BenchEchoCommand.self, BenchIdleCommand.self, NodeFanoutCommand.self, NodeIdleCommand.self, NodeFailoverCommand.self]
    )
}
