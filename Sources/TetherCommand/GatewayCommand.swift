import ArgumentParser
import Foundation
import Logging
import Metrics
import NIOPosix
import Prometheus
import ServiceLifecycle
import TetherGateway
import TetherGatewayCore
import UnixSignals

/// `tether gateway`: the WebSocket-aware load balancer.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run the WebSocket-aware load balancer (tunnel and session mode).",
        discussion: """
            Listeners route requests by host and path prefix to clusters of endpoints. On a `mode: tunnel` \
            route (the default) WebSocket handshakes are forwarded and the frames relayed both ways; plain \
            HTTP requests are proxied too. On a `mode: session` route (endpoints must be Tether nodes) the \
            gateway answers the handshake itself, speaks the Tether protocol both ways, and moves the \
            client's session to another node when its node dies, hangs, is drained or a rebalance picks it, \
            without closing the client (example: examples/gateway-session.yaml).

            The configuration is YAML (reference: docs/configuration.md, example: examples/gateway.yaml). An \
            invalid file is reported with the offending key and exit code 2. Send SIGHUP, or POST /reload to \
            the admin listener, to reload it without closing established connections. SIGTERM or SIGINT \
            closes tunnels and session clients with 1001 spread over `shutdown_drain_window`, then exits.

            Admin API (when `admin.listen` is set): GET /clusters, POST /clusters/NAME/endpoints/HOST:PORT/\
            {ready,drain,maint}, POST /reload, GET /metrics (Prometheus), GET /health.
            """
    )

    @Option(name: [.short, .long], help: ArgumentHelp("The YAML configuration file.", valueName: "file"))
    var config: String?

    @Option(name: .customLong("check-config"), help: ArgumentHelp("Validate this configuration file, print a summary, and exit (0 valid, 2 invalid).", valueName: "file"))
    var checkConfig: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "Event-loop threads; 0 = one per core.")
    var threads = 0

    func validate() throws {
        guard (0...256).contains(threads) else { throw ValidationError("--threads must be 0...256") }
        if config == nil && checkConfig == nil {
            throw ValidationError("Give a configuration file: --config FILE (or --check-config FILE to only validate it).")
        }
    }

    func run() async throws {
        if let path = checkConfig {
            let (ok, report) = GatewayConfigurationLoader.check(path: path)
            print(report)
            throw ExitCode(ok ? 0 : GatewayConfigurationLoader.invalidConfigurationExitCode)
        }
        let path = config!
        let configuration: GatewayConfiguration
        do {
            configuration = try GatewayConfigurationLoader.load(path: path)
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
        let logger = Logger(label: "tether.gateway")
        var factory = PrometheusMetricsFactory(registry: PrometheusCollectorRegistry())
        factory.defaultDurationHistogramBuckets = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .seconds(2), .seconds(5),
        ]
        MetricsSystem.bootstrap(factory)
        let registry = factory.registry
        let metrics = GatewayMetrics(factory: factory)

        let group: MultiThreadedEventLoopGroup = threads == 0 ? .singleton : MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let gateway = Gateway(configuration: configuration, group: group, metrics: metrics, logger: logger)
        let reload: @Sendable () async -> AdminAPI.ReloadResult = {
            do {
                let next = try GatewayConfigurationLoader.load(path: path)
                let summary = try await gateway.apply(next)
                metrics.reload(ok: true)
                return .init(ok: true, message: "reloaded \(path); endpoints removed: \(summary.endpointsRemoved)")
            } catch {
                metrics.reload(ok: false)
                logger.error("reload refused; the running configuration is unchanged", metadata: ["error": "\(error)"])
                return .init(ok: false, message: "\(error)")
            }
        }

        var services: [any Service] = [
            GatewayService(gateway: gateway) { gateway in
                for (name, address) in gateway.listenerAddresses {
                    let tls = gateway.configuration.listeners.first { $0.name == name }?.tls != nil
                    printLine("tether gateway: listener \(name) on \(tls ? "https" : "http")://\(address.displayHostPort) (ws\(tls ? "s" : "")://\(address.displayHostPort)/)")
                }
            },
            SignalReloadService(reload: reload, logger: logger),
        ]
        if let admin = configuration.admin {
            let api = AdminAPI(gateway: gateway, token: admin.token, metricsText: { gateway.refreshHealthGauges(); return registry.emitToString() }, reload: reload)
            services.append(AdminService(server: AdminServer(api: api, address: admin.address, group: group)))
        }
        let serviceGroup = ServiceGroup(
            configuration: .init(services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await serviceGroup.run()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Reloads the configuration on every SIGHUP until shutdown.
struct SignalReloadService: Service {
    let reload: @Sendable () async -> AdminAPI.ReloadResult
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            logger.notice("SIGHUP: reloading configuration")
            _ = await reload()
        }
    }
}

/// Runs the admin listener until shutdown.
struct AdminService: Service {
    let server: AdminServer

    func run() async throws {
        try await server.start()
        if let address = server.localAddress {
            printLine("tether gateway: admin API on http://\(address.displayHostPort) (GET /clusters, /metrics)")
        }
        try? await gracefulShutdown()
        await server.stop()
    }
}
