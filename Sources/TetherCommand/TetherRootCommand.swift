import ArgumentParser

/// `tether`: the root command. Each subcommand is one job.
public struct TetherRootCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tether",
        abstract: "Keep WebSocket conversations alive while the servers behind them come and go.",
        discussion: """
            Start with `tether gateway --config examples/gateway.yaml` in front of two `tether echo-server` \
            processes; see README.md.
            """,
        subcommands: [GatewayCommand.self, NodeCommand.self, DemoCommand.self, TerminalClientCommand.self, EchoServerCommand.self, BenchCommand.self]
    )

    public init() {}
}
