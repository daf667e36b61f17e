import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import TetherCore
import TetherServer

/// One node of the demo: a ``TetherNode`` on the shared engine, served by Hummingbird on a loopback port
/// that changes on every start, behind a ``DemoFaultProxy`` whose port the gateway knows and which never
/// changes. It can be killed (a crash: sockets cut, no close frames, no `disconnect` push), stopped
/// gracefully (clients get 3001) and started again under the same name.
///
/// Threading: every method may be called from any task; ``start()``, ``kill()`` and ``stop()`` are
/// serialised by the caller (``DemoStack`` runs one control action at a time).
final class DemoNode: Sendable {
    enum Phase: String, Sendable, Codable {
        case running, killed, stopped
    }

    private struct Running: Sendable {
        let node: TetherNode
        let group: ServiceGroup
        let task: Task<Void, any Error>
        let port: Int
    }

    private struct State: Sendable {
        var running: Running?
        var phase: Phase = .stopped
        /// The teardown of a killed node (detaching from the engine); a restart waits for it.
        var teardown: Task<Void, Never>?
        /// A start is in progress (a second concurrent start does nothing).
        var starting = false
    }

    let name: String
    let proxy: DemoFaultProxy
    private let engine: MemoryEngine
    private let logger: Logger
    private let state = Mutex(State())

    init(name: String, engine: MemoryEngine, proxy: DemoFaultProxy, logger: Logger) {
        self.name = name
        self.engine = engine
        self.proxy = proxy
        self.logger = logger
    }

    /// The demo's node configuration: anonymous access, and a `demo` namespace with history (500
    /// publications, 10 minutes), presence with join/leave, and client publishes.
    static func configuration(name: String) -> NodeConfiguration {
        NodeConfiguration(
            name: name,
            namespaces: [
                "demo": NamespaceOptions(
                    historySize: 500, historyTTL: .seconds(600), presence: true, joinLeave: true,
                    allowPublish: true, allowAnonymous: true
                )
            ],
            auth: AuthConfiguration(allowAnonymous: true),
            pingInterval: .seconds(10),
            shutdownDrainWindow: .seconds(2)
        )
    }

    var phase: Phase { self.state.withLock { $0.phase } }

    /// The node while it runs (the ticker publishes through it).
    var node: TetherNode? { self.state.withLock { $0.phase == .running ? $0.running?.node : nil } }

    /// The node's own (current) port, while it runs.
    var serverPort: Int? { self.state.withLock { $0.phase == .running ? $0.running?.port : nil } }

    /// Client connections the node holds now (0 when not running).
    var connectionCount: Int { self.node?.connectionCount ?? 0 }

    /// Starts a fresh node on the shared engine and points the proxy at it. Waits for a killed node's
    /// teardown first, so the old and the new incarnation never overlap in the engine's registry.
    func start() async throws {
        let teardown = self.state.withLock { $0.teardown }
        await teardown?.value
        let claimed = self.state.withLock { state -> Bool in
            guard state.running == nil, !state.starting else { return false }
            state.starting = true
            return true
        }
        guard claimed else { return }
        defer { self.state.withLock { $0.starting = false } }
        let node = try await TetherNode(configuration: Self.configuration(name: self.name), engine: self.engine, logger: self.logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = NodeServer.makeApplication(
            node: node, host: "127.0.0.1", port: 0,
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: self.logger
        )
        let group = ServiceGroup(configuration: .init(services: [app, node], logger: self.logger))
        let task = Task { try await group.run() }
        var port = 0
        for await value in ports { port = value }
        guard port > 0 else {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
            throw DemoError("\(self.name) did not start: \(String(describing: try? await task.value))")
        }
        self.state.withLock { state in
            state.running = Running(node: node, group: group, task: task, port: port)
            state.phase = .running
            state.teardown = nil
        }
        self.proxy.forward(to: port)
    }

    /// The crash: cuts every socket at once (clients see their connection drop without a close frame or a
    /// `disconnect` push), then, in the background, lets the node object detach from the engine. Returns
    /// as soon as the sockets are cut.
    func kill() {
        let running = self.state.withLock { state -> Running? in
            guard state.phase == .running, let running = state.running else { return nil }
            state.phase = .killed
            state.running = nil
            return running
        }
        guard let running else { return }
        self.proxy.cut()
        let teardown = Task {
            await running.group.triggerGracefulShutdown()
            _ = try? await running.task.value
        }
        self.state.withLock { $0.teardown = teardown }
    }

    /// Graceful stop: the node tells its clients to reconnect elsewhere (3001, spread over its drain
    /// window) and detaches from the engine; then the proxy stops relaying.
    func stop() async {
        let (running, teardown) = self.state.withLock { state -> (Running?, Task<Void, Never>?) in
            defer {
                state.running = nil
                state.phase = .stopped
            }
            return (state.running, state.teardown)
        }
        await teardown?.value
        guard let running else { return }
        await running.group.triggerGracefulShutdown()
        _ = try? await running.task.value
        self.proxy.stopForwarding()
    }
}
