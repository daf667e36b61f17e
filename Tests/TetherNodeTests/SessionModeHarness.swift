import Logging
import TetherGateway
import TetherGatewayCore
import TetherProtocol

/// A session-mode gateway (listener `main`, cluster `nodes`) in front of some of a ``NodeHarness``'s nodes,
/// for live tests of re-binding, drain migration and rebalance against real nodes on a shared engine.
struct SessionModeHarness: Sendable {
    let nodes: NodeHarness
    let gateway: Gateway

    static func start(
        nodes: NodeHarness,
        endpoints: [Int],
        configure: (inout GatewayConfiguration) -> Void = { _ in }
    ) async throws -> SessionModeHarness {
        var configuration = Self.configuration(nodes: nodes, endpoints: endpoints)
        configure(&configuration)
        var logger = Logger(label: "test.gateway")
        logger.logLevel = .warning
        let gateway = Gateway(configuration: configuration, logger: logger)
        try await gateway.start()
        return SessionModeHarness(nodes: nodes, gateway: gateway)
    }

    static func configuration(nodes: NodeHarness, endpoints: [Int]) -> GatewayConfiguration {
        GatewayConfiguration(
            listeners: [
                ListenerConfiguration(
                    name: "main",
                    address: HostAndPort(host: "127.0.0.1", port: 0),
                    routes: [RouteConfiguration(cluster: "nodes", mode: .session)]
                )
            ],
            clusters: [
                ClusterConfiguration(
                    name: "nodes",
                    endpoints: endpoints.map { EndpointConfiguration(address: HostAndPort(host: "127.0.0.1", port: nodes.port($0))) },
                    policy: .leastConnections,
                    connectTimeout: .seconds(2),
                    session: SessionModeConfiguration(migrationRate: 200, rebindTimeout: .seconds(3))
                )
            ],
            shutdownDrainWindow: .milliseconds(200)
        )
    }

    var port: Int { gateway.localAddress(ofListener: "main")!.port! }

    func endpointID(_ node: Int) -> String { "127.0.0.1:\(nodes.port(node))" }

    /// A protocol client through the gateway, connected (`connect` answered) and subscribed to `channels`.
    func client(user: String, channels: [String]) async throws -> NodeProtocolClient {
        let client = try await NodeProtocolClient.connect(port: port)
        let token = try await NodeHarness.token(user: user)
        _ = try await client.call(#"{"id":1,"op":"connect","token":"\#(token)"}"#, id: 1).result()
        for (index, channel) in channels.enumerated() {
            let id = UInt32(index + 2)
            _ = try await client.call(#"{"id":\#(id),"op":"subscribe","channel":"\#(channel)"}"#, id: id).result()
        }
        return client
    }

    /// Reads `pub` pushes of `channel` until offset `last`; returns their offsets in arrival order. Fails on a
    /// close, a timeout or a gap push.
    static func offsets(from client: NodeProtocolClient, channel: String, through last: UInt64) async throws -> [UInt64] {
        var offsets: [UInt64] = []
        while offsets.last ?? 0 < last {
            switch try await client.push(timeout: .seconds(10)) {
            case .pub(let pushChannel, _, let publication) where pushChannel == channel:
                offsets.append(publication.offset)
            case .gap(let gapChannel, let missing) where gapChannel == channel:
                throw TestFailure("gap on \(channel): \(missing)")
            default:
                continue
            }
        }
        return offsets
    }

    func stop() async {
        await gateway.shutdown()
    }
}
