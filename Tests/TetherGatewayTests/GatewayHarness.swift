#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOPosix
import TetherGateway
import TetherGatewayCore
import TetherTesting

/// A gateway in front of real echo servers, all on loopback port 0, for live tests.
final class GatewayHarness: Sendable {
    let servers: [WebSocketEchoServer]
    let gateway: Gateway

    /// Starts `serverCount` echo servers named `s0`, `s1`, … and a gateway whose single listener (`main`)
    /// routes `/` to cluster `app` over those servers. `configure` may adjust the configuration first; `metrics`
    /// lets a test read back what the gateway reports (see ``RecordingMetricsFactory``).
    static func start(
        servers serverCount: Int = 2,
        metrics: GatewayMetrics = GatewayMetrics(),
        configure: (inout GatewayConfiguration) -> Void = { _ in }
    ) async throws -> GatewayHarness {
        var servers: [WebSocketEchoServer] = []
        for index in 0..<serverCount {
            let server = WebSocketEchoServer(configuration: .init(name: "s\(index)"))
            try await server.start()
            servers.append(server)
        }
        var configuration = GatewayConfiguration(
            listeners: [
                ListenerConfiguration(name: "main", address: HostAndPort(host: "127.0.0.1", port: 0), routes: [RouteConfiguration(cluster: "app")])
            ],
            clusters: [
                ClusterConfiguration(
                    name: "app",
                    endpoints: servers.map { EndpointConfiguration(address: HostAndPort(host: "127.0.0.1", port: $0.localPort)) },
                    connectTimeout: .seconds(2)
                )
            ],
            shutdownDrainWindow: .milliseconds(200)
        )
        configure(&configuration)
        var logger = Logger(label: "test.gateway")
        logger.logLevel = .warning
        let gateway = Gateway(configuration: configuration, metrics: metrics, logger: logger)
        try await gateway.start()
        return GatewayHarness(servers: servers, gateway: gateway)
    }

    private init(servers: [WebSocketEchoServer], gateway: Gateway) {
        self.servers = servers
        self.gateway = gateway
    }

    var port: Int { gateway.localAddress(ofListener: "main")!.port! }

    func endpointID(_ index: Int) -> String { "127.0.0.1:\(servers[index].localPort)" }

    /// Which server answered a handshake, from the echo server's `X-Echo-Server` header.
    static func serverName(_ client: WebSocketTestClient) -> String? {
        client.responseHeader("X-Echo-Server")
    }

    func connect(path: String = "/", headers: [(String, String)] = [], proxySource: String? = nil) async throws -> WebSocketTestClient {
        try await WebSocketTestClient.connect(port: port, path: path, headers: headers, proxyProtocolV1Source: proxySource, timeout: .seconds(5))
    }

    /// Waits until no endpoint counts an active connection (closes are released asynchronously). Bounded-load
    /// hashing moves a key off an endpoint that is over its share, so stickiness tests compare placements at rest.
    func settle() async {
        _ = await eventually { gateway.clusterStatuses().allSatisfy { $0.endpoints.allSatisfy { $0.activeConnections == 0 } } }
    }

    func stop() async {
        await gateway.shutdown()
        for server in servers {
            await server.stop()
        }
    }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(5), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// A loopback port with nothing listening on it.
///
/// The port stays bound (by a socket that never listens, kept open for the rest of the process), so a
/// connect is refused and no other test's server can take the port meanwhile: with a port that was merely
/// free a moment ago, a Redis or node started by a concurrent test could answer there.
func deadPort() async throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
    }
    guard bound else {
        close(descriptor)
        throw IOError(errnoCode: errno, reason: "bind")
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A loopback server that accepts connections and never answers (an endpoint that hangs).
func silentServer() async throws -> Channel {
    try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
        .bind(host: "127.0.0.1", port: 0)
        .get()
}

/// A loopback endpoint that records the raw bytes it receives and answers each request with `response`
/// once it has seen `requestEnd`; with `response` nil it closes (FIN) instead of answering.
final class CaptureServer: Sendable {
    let channel: Channel
    private let received: NIOLockedValueBox<[UInt8]>

    var text: String { String(decoding: received.withLockedValue { $0 }, as: UTF8.self) }
    var port: Int { channel.localAddress!.port! }

    static func start(requestEnd: String = "\r\n\r\n", response: String?) async throws -> CaptureServer {
        let received = NIOLockedValueBox<[UInt8]>([])
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(received: received, requestEnd: requestEnd, response: response))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return CaptureServer(channel: channel, received: received)
    }

    private init(channel: Channel, received: NIOLockedValueBox<[UInt8]>) {
        self.channel = channel
        self.received = received
    }

    func stop() async {
        try? await channel.close()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let received: NIOLockedValueBox<[UInt8]>
        let requestEnd: String
        let response: String?
        var mine: [UInt8] = []

        init(received: NIOLockedValueBox<[UInt8]>, requestEnd: String, response: String?) {
            self.received = received
            self.requestEnd = requestEnd
            self.response = response
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(unwrapInboundIn(data).readableBytesView)
            mine += bytes
            received.withLockedValue { $0 += bytes }
            guard String(decoding: mine, as: UTF8.self).hasSuffix(requestEnd) else { return }
            mine = []
            if let response {
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response)), promise: nil)
            } else {
                context.close(promise: nil)
            }
        }
    }
}

import NIOConcurrencyHelpers
