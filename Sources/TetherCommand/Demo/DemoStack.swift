import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import TetherCore
import TetherGateway
import TetherGatewayCore

/// Everything `tether demo` runs, in one process and with no configuration file:
///
/// - one ``MemoryEngine`` shared by `nodes` ``TetherNode``s (`node-1` …), each served on its own loopback
///   port behind a ``DemoFaultProxy`` (so it can be crashed and restarted on the address the gateway knows);
/// - a tunnel-mode ``Gateway`` on `127.0.0.1:port` routing `/connection/websocket` to the nodes (cluster
///   `nodes`, with 1 s health checks on `/health` and ejections of at most 2 s) and everything else to the demo control app (cluster
///   `control`), with its admin API on another loopback port;
/// - the control app (Hummingbird, loopback, any free port): the page at `/`, `GET /demo/state`, and
///   `POST /demo/nodes/{1…n}/{drain,kill,restart}` (see ``DemoControlRoutes``);
/// - the ``DemoTicker`` publishing to `demo:ticker`.
///
/// The page is served by the control app through the gateway, so the page, its WebSocket and its control
/// calls share one origin. Threading: every method may be called from any task.
final class DemoStack: Sendable {
    struct Options: Sendable {
        /// The gateway's port on 127.0.0.1 (0: any free port).
        var port = 8080
        /// The admin API's port on 127.0.0.1 (0: any free port).
        var adminPort = 0
        var nodes = 3
        /// Ticks per second.
        var rate = 5.0
        var policy: BalancingPolicyConfiguration = .leastConnections
    }

    static let nodesCluster = "nodes"

    let engine: MemoryEngine
    let nodes: [DemoNode]
    let gateway: Gateway
    let ticker: DemoTicker
    private let admin: AdminServer
    private let controlGroup: ServiceGroup
    private let controlTask: Task<Void, any Error>
    private let tickerTask: Task<Void, Never>
    private let logger: Logger

    /// The gateway's bound port.
    let port: Int
    /// The admin API's bound port.
    let adminPort: Int

    var pageURL: String { "http://127.0.0.1:\(self.port)/" }
    var webSocketURL: String { "ws://127.0.0.1:\(self.port)/connection/websocket" }
    var adminURL: String { "http://127.0.0.1:\(self.adminPort)" }

    private init(
        engine: MemoryEngine, nodes: [DemoNode], gateway: Gateway, ticker: DemoTicker, admin: AdminServer,
        controlGroup: ServiceGroup, controlTask: Task<Void, any Error>, tickerTask: Task<Void, Never>,
        logger: Logger, port: Int, adminPort: Int
    ) {
        self.engine = engine
        self.nodes = nodes
        self.gateway = gateway
        self.ticker = ticker
        self.admin = admin
        self.controlGroup = controlGroup
        self.controlTask = controlTask
        self.tickerTask = tickerTask
        self.logger = logger
        self.port = port
        self.adminPort = adminPort
    }

    /// Starts every part; on failure stops what already started and rethrows.
    static func start(
        _ options: Options,
        metricsText: @escaping @Sendable () -> String = { "" },
        logger: Logger = Logger(label: "tether.demo")
    ) async throws -> DemoStack {
        guard (1...9).contains(options.nodes) else { throw DemoError("--nodes must be 1...9") }
        guard options.rate > 0, options.rate <= 1000 else { throw DemoError("--rate must be in (0, 1000]") }
        let engine = MemoryEngine()
        var nodes: [DemoNode] = []
        var started: [DemoFaultProxy] = []
        do {
            for index in 1...options.nodes {
                let proxy = try await DemoFaultProxy.bind()
                started.append(proxy)
                let node = DemoNode(name: "node-\(index)", engine: engine, proxy: proxy, logger: logger)
                try await node.start()
                nodes.append(node)
            }
        } catch {
            for node in nodes { await node.stop() }
            for proxy in started { await proxy.close() }
            throw error
        }

        // The control app; it needs the stack (built below), so it finds it through a box.
        let box = DemoStackBox()
        let router = Router(context: BasicRequestContext.self)
        DemoControlRoutes.add(to: router, stack: box)
        let (controlPorts, controlContinuation) = AsyncStream<Int>.makeStream()
        let control = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "tether-demo"),
            onServerRunning: { channel in
                controlContinuation.yield(channel.localAddress?.port ?? 0)
                controlContinuation.finish()
            },
            logger: logger
        )
        let controlGroup = ServiceGroup(configuration: .init(services: [control], logger: logger))
        let controlTask = Task { try await controlGroup.run() }
        var controlPort = 0
        for await value in controlPorts { controlPort = value }

        let configuration = Self.gatewayConfiguration(options, nodes: nodes, controlPort: controlPort)
        let issues = GatewayConfigurationValidator.validate(configuration)
        let gateway = Gateway(configuration: configuration, logger: logger)
        let api = AdminAPI(
            gateway: gateway, token: nil,
            metricsText: { gateway.refreshHealthGauges(); return metricsText() },
            reload: { .init(ok: false, message: "tether demo has no configuration file to reload") }
        )
        let admin = AdminServer(api: api, address: HostAndPort(host: "127.0.0.1", port: options.adminPort))
        do {
            guard issues.isEmpty else { throw DemoError("internal gateway configuration is invalid: \(issues)") }
            do {
                try await gateway.start()
            } catch {
                throw DemoError("the gateway cannot listen on 127.0.0.1:\(options.port) (\(error)); choose another --port")
            }
            do {
                try await admin.start()
            } catch {
                throw DemoError("the admin API cannot listen on 127.0.0.1:\(options.adminPort) (\(error)); choose another --admin-port")
            }
        } catch {
            await gateway.shutdown()
            await admin.stop()
            await controlGroup.triggerGracefulShutdown()
            _ = try? await controlTask.value
            for node in nodes { await node.stop() }
            for proxy in started { await proxy.close() }
            throw error
        }

        let ticker = DemoTicker(nodes: nodes, rate: options.rate, logger: logger)
        let tickerTask = Task { await ticker.run() }
        let stack = DemoStack(
            engine: engine, nodes: nodes, gateway: gateway, ticker: ticker, admin: admin,
            controlGroup: controlGroup, controlTask: controlTask, tickerTask: tickerTask, logger: logger,
            port: gateway.localAddress(ofListener: "demo")?.port ?? options.port,
            adminPort: admin.localAddress?.port ?? options.adminPort
        )
        box.set(stack)
        return stack
    }

    static func gatewayConfiguration(_ options: Options, nodes: [DemoNode], controlPort: Int) -> GatewayConfiguration {
        GatewayConfiguration(
            listeners: [
                ListenerConfiguration(
                    name: "demo",
                    address: HostAndPort(host: "127.0.0.1", port: options.port),
                    routes: [
                        RouteConfiguration(pathPrefix: "/connection/websocket", cluster: Self.nodesCluster),
                        RouteConfiguration(pathPrefix: "/", cluster: "control"),
                    ]
                )
            ],
            clusters: [
                ClusterConfiguration(
                    name: Self.nodesCluster,
                    endpoints: nodes.map { EndpointConfiguration(address: HostAndPort(host: "127.0.0.1", port: $0.proxy.port)) },
                    policy: options.policy,
                    healthCheck: HealthCheckConfiguration(path: "/health", interval: .seconds(1), timeout: .milliseconds(500), rise: 1, fall: 1),
                    // Short ejections: a restarted node is back in rotation within a second or two.
                    outlierDetection: OutlierDetectionConfiguration(consecutiveFailures: 3, baseEjectionTime: .seconds(1), maxEjectionTime: .seconds(2)),
                    retries: 2,
                    connectTimeout: .seconds(1),
                    drainWindow: .seconds(2)
                ),
                ClusterConfiguration(name: "control", endpoints: [EndpointConfiguration(address: HostAndPort(host: "127.0.0.1", port: controlPort))]),
            ],
            admin: AdminConfiguration(address: HostAndPort(host: "127.0.0.1", port: options.adminPort)),
            shutdownDrainWindow: .seconds(1)
        )
    }

    // MARK: - Control

    /// `index` is 1-based (node-1 …).
    func node(_ index: Int) throws -> DemoNode {
        guard (1...self.nodes.count).contains(index) else { throw DemoError("there is no node-\(index)") }
        return self.nodes[index - 1]
    }

    /// The gateway's endpoint id for a node (its proxy's address).
    func endpoint(of node: DemoNode) -> String { "127.0.0.1:\(node.proxy.port)" }

    /// Gateway admin drain: the endpoint takes no new connections and its tunnels are closed with 1012,
    /// spread over 2 s; the node keeps running. Returns the number of tunnels being closed.
    @discardableResult
    func drain(_ index: Int) async throws -> Int {
        let node = try self.node(index)
        switch await self.gateway.setEndpointState(cluster: Self.nodesCluster, endpoint: self.endpoint(of: node), to: .drain) {
        case .changed(let draining): return draining
        case .noSuchCluster, .noSuchEndpoint: throw DemoError("the gateway does not know \(node.name)")
        }
    }

    /// Crashes a node (see ``DemoNode/kill()``).
    func kill(_ index: Int) throws {
        try self.node(index).kill()
    }

    /// Starts a node again (stopping it gracefully first if it runs) and puts its endpoint back to `ready`.
    func restart(_ index: Int) async throws {
        let node = try self.node(index)
        if node.phase == .running { await node.stop() }
        try await node.start()
        _ = await self.gateway.setEndpointState(cluster: Self.nodesCluster, endpoint: self.endpoint(of: node), to: .ready)
    }

    /// What the page shows for each node.
    func status() -> DemoStatus {
        let endpoints = self.gateway.clusterStatuses().first { $0.name == Self.nodesCluster }?.endpoints ?? []
        return DemoStatus(
            lastSeq: self.ticker.lastSeq,
            adminURL: self.adminURL,
            nodes: self.nodes.enumerated().map { offset, node in
                let endpoint = endpoints.first { $0.id == self.endpoint(of: node) }
                return DemoStatus.Node(
                    index: offset + 1, name: node.name, phase: node.phase.rawValue,
                    gatewayState: endpoint?.state.rawValue ?? "?", healthy: endpoint?.healthy ?? false,
                    tunnels: endpoint?.activeConnections ?? 0, clients: node.connectionCount,
                    endpoint: self.endpoint(of: node)
                )
            }
        )
    }

    // MARK: - Shutdown

    /// Stops the ticker, then the gateway (tunnels closed with 1001 over 1 s), the admin API, the nodes
    /// (gracefully), the control app and the proxies.
    func stop() async {
        self.tickerTask.cancel()
        await self.tickerTask.value
        await self.gateway.shutdown()
        await self.admin.stop()
        for node in self.nodes { await node.stop() }
        await self.controlGroup.triggerGracefulShutdown()
        _ = try? await self.controlTask.value
        for node in self.nodes { await node.proxy.close() }
    }
}
