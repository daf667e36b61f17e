import Hummingbird
import JWTKit
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import TetherCore
import TetherProtocol
import TetherServer

/// Nodes sharing one memory engine, each served by Hummingbird on loopback port 0, for live tests.
final class NodeHarness: Sendable {
    struct Running: Sendable {
        let node: TetherNode
        let port: Int
        let group: ServiceGroup
        let task: Task<Void, any Error>
    }

    static let secret = "tether-test-secret-0123456789abcdef-0123"
    let engine: MemoryEngine
    private let running: Mutex<[Running]>

    /// Starts `count` nodes named `n0`, `n1`, … . `configure` adjusts each node's configuration (after the
    /// harness defaults: an HS256 key, namespaces `chat` (history, presence, join/leave, client publish) and
    /// `feed` (history), API key `test-key`).
    static func start(
        nodes count: Int = 1,
        engine: MemoryEngine = MemoryEngine(),
        configure: @Sendable (inout NodeConfiguration) -> Void = { _ in }
    ) async throws -> NodeHarness {
        let harness = NodeHarness(engine: engine)
        for index in 0..<count {
            try await harness.startNode(name: "n\(index)", configure: configure)
        }
        return harness
    }

    private init(engine: MemoryEngine) {
        self.engine = engine
        self.running = Mutex([])
    }

    static func defaultConfiguration(name: String) -> NodeConfiguration {
        NodeConfiguration(
            name: name,
            namespaces: [
                "": NamespaceOptions(historySize: 100, allowPublish: true),
                "chat": NamespaceOptions(historySize: 100, presence: true, joinLeave: true, allowPublish: true),
                "feed": NamespaceOptions(historySize: 10),
                "private": NamespaceOptions(historySize: 10, allowPublish: true, subscribe: .tokenClaim),
                "slow": NamespaceOptions(historySize: 1000, allowPublish: true, slowConsumer: .disconnect),
            ],
            auth: AuthConfiguration(keys: [TokenKey(algorithm: .hs256, material: secret)]),
            presenceLease: .seconds(2),
            apiKeys: ["test-key"],
            shutdownDrainWindow: .milliseconds(100)
        )
    }

    /// Starts one more node on the shared engine; returns its index.
    @discardableResult
    func startNode(
        name: String,
        engine: (any Engine)? = nil,
        authorizer: SubscribeAuthorizer? = nil,
        configure: @Sendable (inout NodeConfiguration) -> Void = { _ in }
    ) async throws -> Int {
        var configuration = Self.defaultConfiguration(name: name)
        configure(&configuration)
        var logger = Logger(label: "test.node")
        logger.logLevel = .warning
        let node = try await TetherNode(configuration: configuration, engine: engine ?? self.engine, authorizer: authorizer, logger: logger)
        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        let app = NodeServer.makeApplication(
            node: node, host: "127.0.0.1", port: 0,
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app, node], logger: logger))
        let task = Task { try await group.run() }
        var port = 0
        for await value in portStream { port = value }
        let index = self.running.withLock { running in
            running.append(Running(node: node, port: port, group: group, task: task))
            return running.count - 1
        }
        return index
    }

    func node(_ index: Int) -> TetherNode { self.running.withLock { $0[index].node } }
    func port(_ index: Int) -> Int { self.running.withLock { $0[index].port } }
    func url(_ index: Int) -> String { "ws://127.0.0.1:\(self.port(index))/connection/websocket" }

    /// Graceful stop: the node disconnects its clients with 3001 and detaches from the engine.
    func stop(_ index: Int) async {
        let running = self.running.withLock { $0[index] }
        await running.group.triggerGracefulShutdown()
        _ = try? await running.task.value
    }

    func stopAll() async {
        let count = self.running.withLock { $0.count }
        for index in 0..<count { await self.stop(index) }
    }

    /// A signed HS256 token for `user`.
    static func token(user: String, expiresIn: Duration? = .seconds(3600), channels: [String]? = nil) async throws -> String {
        try await self.token(user: user, expiresAt: expiresIn.map { SystemEngineClock().now() / 1000 + $0.components.seconds }, channels: channels)
    }

    /// A signed HS256 token for `user` with `exp` = `expiresAt` (seconds since the Unix epoch).
    static func token(user: String, expiresAt: Int64?, channels: [String]? = nil) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        return try await keys.sign(TestClaims(
            sub: user,
            exp: expiresAt,
            channels: channels
        ))
    }
}

struct TestClaims: JWTPayload {
    var sub: String
    var exp: Int64?
    var channels: [String]?

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
