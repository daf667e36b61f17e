import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOPosix
import Prometheus
import ServiceLifecycle
import TetherCore
import TetherGatewayCore
import TetherRedis
import TetherRedisEngine
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

            The configuration is YAML (reference: docs/configuration.md, examples: examples/node.yaml on the \
            memory engine, examples/node-redis.yaml for a cluster of nodes on one Redis); an invalid file is \
            reported with the offending key and exit code 2. --name and --listen let several nodes share one \
            file. SIGTERM or SIGINT tells every client to reconnect elsewhere (close 3001 with a delay hint), \
            spread over shutdown_drain_window, then exits.

            With `engine: {type: redis}` the node starts even when Redis is down (a warning is logged); it \
            connects when Redis comes up, and publishes fail with a temporary error until then.
            """
    )

    @Option(name: [.short, .long], help: ArgumentHelp("The YAML configuration file.", valueName: "file"))
    var config: String?

    @Option(name: .customLong("check-config"), help: ArgumentHelp("Validate this configuration file, print a summary, and exit (0 valid, 2 invalid).", valueName: "file"))
    var checkConfig: String?

    @Option(help: ArgumentHelp("Listen on this address instead of the file's `listen` (host:port).", valueName: "host:port"))
    var listen: String?

    @Option(help: ArgumentHelp("Use this node name instead of the file's `name` (unique per deployment).", valueName: "name"))
    var name: String?

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
            file = try Self.applyingOverrides(to: file, name: name, listen: listen)
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
        logger.info("tether node: \(file.node.name), engine \(file.engineSummary)")
        let engine: any Engine
        var redisEngine: RedisEngine?
        switch file.engine {
        case .memory:
            engine = MemoryEngine()
        case .redis(var configuration):
            if configuration.redis.clientName == nil, Self.isValidClientName("tether-node-\(file.node.name)") {
                configuration.redis.clientName = "tether-node-\(file.node.name)"
            }
            await Self.checkRedis(configuration.redis, logger: logger)
            let redis = RedisEngine(configuration: configuration, logger: logger)
            redisEngine = redis
            engine = redis
        }
        do {
            try await self.serve(file: file, engine: engine, registry: registry, logger: logger)
        } catch {
            await redisEngine?.shutdown()
            throw error
        }
        await redisEngine?.shutdown()
    }

    /// `file` with the command line's `--name` and `--listen` in place of the file's values.
    static func applyingOverrides(to file: NodeFileConfiguration, name: String?, listen: String?) throws -> NodeFileConfiguration {
        var file = file
        var issues: [ConfigurationIssue] = []
        if let name {
            if name.isEmpty { issues.append(.init(keyPath: "--name", message: "must not be empty")) } else { file.node.name = name }
        }
        if let listen {
            if let address = HostAndPort(parsing: listen) {
                file.listen = address
            } else {
                issues.append(.init(keyPath: "--listen", message: "expected host:port, got \"\(listen)\""))
            }
        }
        if !issues.isEmpty { throw ConfigurationLoadError(file: nil, issues: issues, subject: "node") }
        return file
    }

    /// Whether Redis accepts `name` for `CLIENT SETNAME` (printable ASCII, no spaces).
    static func isValidClientName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// One `PING` with a short-lived client, so a wrong address or password shows up in the log at start.
    /// Never fails: the engine connects (and reconnects) by itself, so a node may start before Redis.
    static func checkRedis(_ configuration: RedisConfiguration, logger: Logger) async {
        var configuration = configuration
        configuration.poolSize = 1
        let client = RedisClient(configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
        let address = HostAndPort(host: configuration.host, port: configuration.port)
        do {
            _ = try await client.send("PING")
            logger.info("redis at \(address) answers")
        } catch {
            logger.warning("redis at \(address) does not answer PING (\(error)); starting anyway, the engine keeps trying to connect")
        }
        await client.shutdown()
    }

    private func serve(file: NodeFileConfiguration, engine: any Engine, registry: PrometheusCollectorRegistry, logger: Logger) async throws {
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
