import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A conformant WebSocket echo server on raw SwiftNIO, for tests, demos and benchmarks.
///
/// - WebSocket (any path): text and binary messages are echoed with the same opcode once complete (fragments
///   are aggregated up to ``Configuration/maxMessageSize``); pings are answered with pongs carrying the same
///   payload; a close frame is answered with a close frame carrying the same code, after which the server
///   closes TCP (the server closes first). Unmasked client frames, reserved bits, unknown opcodes and broken
///   fragmentation get close code 1002; a frame or message over the limit gets 1009. UTF-8 is not validated.
/// - Plain HTTP with keep-alive: `GET <healthPath>` answers 200 `ok` while ``healthy`` is true, 503 `unhealthy`
///   otherwise; any other request answers 200 with the body `"<name> <uri>"`.
///
/// Threading: every method and property may be called from any thread; the observable state (``healthy``,
/// ``connectionCount``, ``lastUpgradeHeaders``, …) is guarded by a lock. Channel handlers run on the event
/// loops of `group`.
public final class WebSocketEchoServer: Sendable {
    /// Options of one echo server. Every field has a default.
    public struct Configuration: Sendable {
        /// Address to bind. Default `127.0.0.1`.
        public var host: String
        /// Port to bind; 0 picks a free port (read it from ``WebSocketEchoServer/localPort``). Default 0.
        public var port: Int
        /// Names this server in plain HTTP bodies and in ``upgradeResponseHeader``. Default `echo`.
        public var name: String
        /// Largest message (all fragments together) and largest single frame accepted; beyond it the
        /// connection is closed with 1009. Default 16 MiB.
        public var maxMessageSize: Int
        /// Header added to every 101 response with ``name`` as its value, so tests can tell which upstream
        /// served them; `nil` adds none. Default `X-Echo-Server`.
        public var upgradeResponseHeader: String?
        /// Whether to answer with the first value offered in `Sec-WebSocket-Protocol`. Default true.
        public var echoSubprotocol: Bool
        /// Path answering the health check. Default `/health`.
        public var healthPath: String
        /// Listen backlog. Default 4096 (benchmarks open thousands of connections at once).
        public var backlog: Int32

        public init(
            host: String = "127.0.0.1",
            port: Int = 0,
            name: String = "echo",
            maxMessageSize: Int = 16 << 20,
            upgradeResponseHeader: String? = "X-Echo-Server",
            echoSubprotocol: Bool = true,
            healthPath: String = "/health",
            backlog: Int32 = 4096
        ) {
            self.host = host
            self.port = port
            self.name = name
            self.maxMessageSize = maxMessageSize
            self.upgradeResponseHeader = upgradeResponseHeader
            self.echoSubprotocol = echoSubprotocol
            self.healthPath = healthPath
            self.backlog = backlog
        }
    }

    private struct State {
        var serverChannel: Channel?
        var children: [ObjectIdentifier: Channel] = [:]
        var webSocketCount = 0
        var upgradeCount = 0
        var healthy = true
        var lastUpgradeHeaders: [(String, String)] = []
        var lastUpgradeURI: String?
    }

    /// The options this server was created with.
    public let configuration: Configuration
    private let group: EventLoopGroup
    private let state = NIOLockedValueBox(State())

    /// Creates a server; nothing is bound until ``start()``.
    public init(
        configuration: Configuration = Configuration(),
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.group = group
    }

    /// The bound port; 0 before ``start()`` completes.
    public var localPort: Int {
        self.state.withLockedValue { $0.serverChannel?.localAddress?.port ?? 0 }
    }

    /// Whether `GET /health` answers 200 (true) or 503 (false). Settable at any time.
    public var healthy: Bool {
        get { self.state.withLockedValue { $0.healthy } }
        set { self.state.withLockedValue { $0.healthy = newValue } }
    }

    /// Open TCP connections (plain HTTP and WebSocket).
    public var connectionCount: Int {
        self.state.withLockedValue { $0.children.count }
    }

    /// Open connections that completed the WebSocket upgrade.
    public var webSocketConnectionCount: Int {
        self.state.withLockedValue { $0.webSocketCount }
    }

    /// WebSocket upgrades accepted since start.
    public var upgradeCount: Int {
        self.state.withLockedValue { $0.upgradeCount }
    }

    /// Request headers of the most recent upgrade request, in arrival order; empty before the first.
    public var lastUpgradeHeaders: [(String, String)] {
        self.state.withLockedValue { $0.lastUpgradeHeaders }
    }

    /// The first value of header `name` (case-insensitive) in the most recent upgrade request.
    public func lastUpgradeHeader(_ name: String) -> String? {
        self.lastUpgradeHeaders.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// Request URI of the most recent upgrade request.
    public var lastUpgradeURI: String? {
        self.state.withLockedValue { $0.lastUpgradeURI }
    }

    /// Binds and starts accepting. Throws if the address cannot be bound or the server already runs.
    public func start() async throws {
        let configuration = self.configuration
        let bootstrap = ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: configuration.backlog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.configureChild(channel)
                }
            }
        let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        let alreadyRunning = self.state.withLockedValue { state -> Bool in
            if state.serverChannel != nil { return true }
            state.serverChannel = channel
            return false
        }
        if alreadyRunning {
            try? await channel.close()
            throw WebSocketEchoServerError.alreadyStarted
        }
    }

    /// Stops accepting and closes every open connection abruptly (TCP close, no close frame), like a
    /// process that dies. Returns once the listening socket and all connections are closed. Idempotent.
    public func stop() async {
        let (server, children) = self.state.withLockedValue { state in
            let result = (state.serverChannel, Array(state.children.values))
            state.serverChannel = nil
            return result
        }
        try? await server?.close()
        for child in children {
            try? await child.close()
        }
    }

    /// Closes every open connection abruptly but keeps listening.
    public func closeAllConnections() async {
        let children = self.state.withLockedValue { Array($0.children.values) }
        for child in children {
            try? await child.close()
        }
    }

    // MARK: - Pipeline

    /// Runs on the child channel's event loop.
    private func configureChild(_ channel: Channel) throws {
        let id = ObjectIdentifier(channel)
        self.state.withLockedValue { $0.children[id] = channel }
        channel.closeFuture.whenComplete { _ in
            self.state.withLockedValue { $0.children[id] = nil }
        }

        let configuration = self.configuration
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: configuration.maxMessageSize,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                channel.eventLoop.makeSucceededFuture(self.acceptUpgrade(head))
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    self.state.withLockedValue { $0.webSocketCount += 1 }
                    channel.closeFuture.whenComplete { _ in
                        self.state.withLockedValue { $0.webSocketCount -= 1 }
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        EchoWebSocketHandler(maxMessageSize: configuration.maxMessageSize)
                    )
                }
            }
        )
        let sync = channel.pipeline.syncOperations
        try sync.configureHTTPServerPipeline(
            withServerUpgrade: (
                upgraders: [upgrader],
                completionHandler: { context in
                    // The plain HTTP handler sits after the upgrade handler; frames must not reach it.
                    let pipeline = context.pipeline.syncOperations
                    if let httpContext = try? pipeline.context(handlerType: EchoHTTPHandler.self) {
                        pipeline.removeHandler(context: httpContext, promise: nil)
                    }
                }
            )
        )
        try sync.addHandler(EchoHTTPHandler(server: self))
    }

    /// Records the request and builds the extra 101 headers.
    private func acceptUpgrade(_ head: HTTPRequestHead) -> HTTPHeaders {
        let recorded = head.headers.map { ($0.name, $0.value) }
        self.state.withLockedValue { state in
            state.lastUpgradeHeaders = recorded
            state.lastUpgradeURI = head.uri
            state.upgradeCount += 1
        }
        var headers = HTTPHeaders()
        if let name = self.configuration.upgradeResponseHeader {
            headers.add(name: name, value: self.configuration.name)
        }
        if self.configuration.echoSubprotocol,
            let offered = head.headers["Sec-WebSocket-Protocol"].first,
            let first = offered.split(separator: ",").first
        {
            headers.add(name: "Sec-WebSocket-Protocol", value: first.trimmingCharacters(in: " \t"))
        }
        return headers
    }

    /// Builds the plain HTTP answer for `head` (status and body).
    func plainResponse(for head: HTTPRequestHead) -> (HTTPResponseStatus, String) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        if path == self.configuration.healthPath {
            return self.healthy ? (.ok, "ok") : (.serviceUnavailable, "unhealthy")
        }
        return (.ok, "\(self.configuration.name) \(head.uri)")
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = self[...]
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
