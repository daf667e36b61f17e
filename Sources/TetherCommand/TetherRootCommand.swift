import ArgumentParser

/// `tether`: the root command. Each subcommand is one job.
public struct TetherRootCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tether",
        abstract: "Keep WebSocket conversations alive while the servers behind them come and go.",
        discussion: """
            Start with `tether demo`: a gateway in front of three nodes, a publisher, and a page where you \
            kill or drain nodes and watch clients resume with nothing lost. Then `tether node --config \
            examples/node.yaml` for a node of your own, or `tether gateway --config examples/gateway.yaml` for \
            the load balancer; see README.md.
            """,
        subcommands: [DemoCommand.self, NodeCommand.self, TerminalClientCommand.self, GatewayCommand.self, EchoServerCommand.self, BenchCommand.self]
    )

    public init() {}
}
