import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import TetherCore
import TetherGatewayCore
import TetherServer

/// `tether node`: a real-time node serving the Tether protocol.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run a real-time node (channels, history, presence, sessions) serving the Tether protocol.",
        discussion: """
            Clients connect to ws://HOST:PORT/connection/websocket and speak the Tether protocol \
            (docs/protocol.md); backends use the server API, POST /api/{publish,broadcast,history,presence,\
            presence_stats,disconnect,channels,info} with `Authorization: apikey KEY`. GET /metrics serves \
            Prometheus metrics, GET /health answers 200 (503 while shutting down).

            The configuration is YAML (reference: docs/configuration.md, example: examples/node.yaml); an \
            invalid file is reported with the offending key and exit code 2. SIGTERM or SIGINT tells every \
            client to reconnect elsewhere (close 3001 with a delay hint), spread over shutdown_drain_window, \
            then exits.
            """
    )

    @Option(name: [.short, .long], help: ArgumentHelp("The YAML configuration file.", valueName: "file"))
    var config: String?

    @Option(name: .customLong("check-config"), help: ArgumentHelp("Validate this configuration file, print a summary, and exit (0 valid, 2 invalid).", valueName: "file"))
    var checkConfig: String?

    @Option(help: ArgumentHelp("Listen on this address instead of the file's `listen` (host:port).", valueName: "host:port"))
    var listen: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        if config == nil && checkConfig == nil {
            throw ValidationError("Give a configuration file: --config FILE (or --check-config FILE to only validate it).")
        }
    }

    func run() async throws {
        if let path = checkConfig {
            let (ok, report) = NodeConfigurationLoader.check(path: path)
            print(report)
            throw ExitCode(ok ? 0 : GatewayConfigurationLoader.invalidConfigurationExitCode)
        }
        var file: NodeFileConfiguration
        do {
            file = try NodeConfigurationLoader.load(path: config!)
            if let listen {
                guard let address = HostAndPort(parsing: listen) else {
                    throw ConfigurationLoadError(file: nil, issues: [.init(keyPath: "--listen", message: "expected host:port, got \"\(listen)\"")], subject: "node")
                }
                file.listen = address
            }
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(GatewayConfigurationLoader.invalidConfigurationExitCode)
        }
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "tether.node")
        let engine = MemoryEngine()
        let node = try await TetherNode(configuration: file.node, engine: engine, logger: logger)
        let name = file.node.name
        let host = file.listen.host
        let app = NodeServer.makeApplication(
            node: node, host: file.listen.host, port: file.listen.port,
            extraRoutes: { router in
                router.get("/metrics") { _, _ in registry.emitToString() }
            },
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                printLine("tether node: \(name) on ws://\(host):\(port)/connection/websocket (server API http://\(host):\(port)/api, metrics /metrics)")
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: app), .init(service: node)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await group.run()
    }
}
