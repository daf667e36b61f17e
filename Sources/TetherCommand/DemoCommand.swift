import ArgumentParser
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import TetherGatewayCore

/// `tether demo`: nodes, a gateway, a ticker and a page, in one process with no setup (see ``DemoStack``).
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a self-contained demo: nodes, a gateway in front, a ticker, and a page to break things with.",
        discussion: """
            Starts, in one process and on loopback only: N nodes (node-1 …) sharing a memory engine, a \
            tunnel-mode gateway on 127.0.0.1:PORT routing /connection/websocket to them, the gateway's admin \
            API, and a publisher sending {"seq":N,"text":"tick N","at":MS} to demo:ticker RATE times a second.

            Open the printed page: a plain JavaScript Tether client subscribed to demo:ticker and demo:chat \
            that counts lost and duplicated ticks, with buttons to drain, kill (crash, no close frames) and \
            restart each node. Or connect a terminal client with the printed `tether client` command. \
            SIGINT or SIGTERM stops everything.
            """
    )

    @Option(help: "The gateway's port on 127.0.0.1 (the page and the WebSocket endpoint).")
    var port = 8080

    @Option(help: "The gateway admin API's port on 127.0.0.1 (0: any free port).")
    var adminPort = 0

    @Option(help: "How many nodes (1-9).")
    var nodes = 3

    @Option(help: "Ticks per second published to demo:ticker.")
    var rate = 5.0

    @Option(help: "How the gateway balances new connections: least_connections or round_robin.")
    var policy = "least_connections"

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .warning

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard (0...65535).contains(adminPort) else { throw ValidationError("--admin-port must be 0...65535") }
        guard (1...9).contains(nodes) else { throw ValidationError("--nodes must be 1...9") }
        guard rate > 0, rate <= 1000 else { throw ValidationError("--rate must be more than 0 and at most 1000") }
        guard Self.policy(named: policy) != nil else { throw ValidationError("--policy must be least_connections or round_robin") }
    }

    static func policy(named name: String) -> BalancingPolicyConfiguration? {
        switch name {
        case "least_connections": .leastConnections
        case "round_robin": .roundRobin
        default: nil
        }
    }

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let options = DemoStack.Options(
            port: port, adminPort: adminPort, nodes: nodes, rate: rate, policy: Self.policy(named: policy) ?? .leastConnections
        )
        let logger = Logger(label: "tether.demo")
        let service = DemoService(options: options, metricsText: { registry.emitToString() }, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await group.run()
    }
}

/// Runs a ``DemoStack`` until graceful shutdown (SIGINT/SIGTERM), then stops it.
struct DemoService: Service {
    let options: DemoStack.Options
    let metricsText: @Sendable () -> String
    let logger: Logger

    func run() async throws {
        let stack = try await DemoStack.start(options, metricsText: metricsText, logger: logger)
        let names = stack.nodes.map(\.name).joined(separator: ", ")
        printLine("tether demo: \(stack.nodes.count) nodes (\(names)) behind the gateway, ticker at \(options.rate)/s on demo:ticker")
        printLine("  page:            \(stack.pageURL)")
        printLine("  gateway admin:   \(stack.adminURL)/clusters")
        printLine("  terminal client: swift run tether client --url \(stack.webSocketURL) --channel demo:ticker")
        printLine("  Ctrl-C stops everything.")
        try? await gracefulShutdown()
        printLine("tether demo: stopping")
        await stack.stop()
    }
}
