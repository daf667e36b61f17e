import Foundation
import Synchronization
import TetherTesting

/// A Tether cluster for one test: a real `redis-server` on a free loopback port and `tether node` child
/// processes (the built binary) sharing it, each with its own YAML file and log in a temporary directory.
///
/// Use ``run(nodes:redis:_:)``: it starts everything, runs the body, and always tears down — subscribers
/// disconnected, nodes stopped (SIGKILL if they do not exit), Redis killed, the directory removed — whether
/// the body returns, throws or is cancelled. `deinit` kills whatever is left as a last resort, so no child
/// process outlives the test. Thread-safe.
final class ClusterHarness: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let redis: RedisServerProcess
    let directory: URL
    let binary: String
    /// The Redis key prefix of this cluster's nodes.
    let prefix: String
    private let nodes: Mutex<[NodeProcess]>
    private let configurations: Mutex<[ClusterNodeConfiguration]>
    private let subscribers = Mutex<[ClusterSubscriber]>([])

    private init(redis: RedisServerProcess, directory: URL, binary: String, prefix: String) {
        self.redis = redis
        self.directory = directory
        self.binary = binary
        self.prefix = prefix
        self.nodes = Mutex([])
        self.configurations = Mutex([])
    }

    deinit {
        self.cleanup()
    }

    /// Starts Redis (with `options`) and `count` nodes named `node-a`, `node-b`, …, runs `body`, then tears
    /// everything down. `configure` adjusts each node's settings before its file is written.
    static func run<T: Sendable>(
        nodes count: Int,
        redis options: RedisServerProcess.Options = RedisServerProcess.Options(),
        configure: @Sendable (inout ClusterNodeConfiguration) -> Void = { _ in },
        _ body: (ClusterHarness) async throws -> T
    ) async throws -> T {
        let binary = try Self.binaryPath()
        let redis = try await RedisServerProcess.start(options)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tether-cluster-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            redis.cleanup()
            throw error
        }
        let prefix = "ct-" + UUID().uuidString.prefix(8).lowercased()
        let harness = ClusterHarness(redis: redis, directory: directory, binary: binary, prefix: prefix)
        let result: T
        do {
            try await harness.startNodes(count, configure: configure)
            result = try await body(harness)
        } catch {
            await harness.shutdown()
            throw error
        }
        await harness.shutdown()
        return result
    }

    /// The `tether` executable: `$TETHER_BINARY`, else `.build/debug/tether` in this package.
    static func binaryPath() throws -> String {
        if let path = ProcessInfo.processInfo.environment["TETHER_BINARY"], !path.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw Failure(description: "TETHER_BINARY=\(path) is not an executable file")
            }
            return path
        }
        // Tests/TetherClusterTests/ClusterHarness.swift → the package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent(".build/debug/tether").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Failure(description: "no tether binary at \(path): run `swift build` first (or set TETHER_BINARY)")
        }
        return path
    }

    // MARK: Nodes

    /// Node names by index: `node-a`, `node-b`, …
    static func nodeName(_ index: Int) -> String {
        "node-" + String(UnicodeScalar(UInt8(ascii: "a") + UInt8(index)))
    }

    /// The node at `index` (in start order).
    func node(_ index: Int) -> NodeProcess { self.nodes.withLock { $0[index] } }

    /// The WebSocket URL of the node at `index`.
    func url(_ index: Int) -> String { self.node(index).url }

    /// A server API client for the node at `index`.
    func api(_ index: Int) -> ServerAPIClient { ServerAPIClient(port: self.node(index).port) }

    /// Writes a file for each of `count` new nodes and launches them concurrently; returns once every one
    /// accepts connections.
    private func startNodes(_ count: Int, configure: @Sendable (inout ClusterNodeConfiguration) -> Void) async throws {
        var launches: [(name: String, port: Int, config: String, log: String)] = []
        for index in 0..<count {
            let name = Self.nodeName(index)
            var configuration = ClusterNodeConfiguration(
                name: name, port: try LoopbackPort.free(), redisPort: self.redis.port, prefix: self.prefix)
            configure(&configuration)
            let configPath = self.directory.appendingPathComponent("\(name).yaml").path
            try configuration.yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
            self.configurations.withLock { $0.append(configuration) }
            launches.append((name, configuration.port, configPath, self.directory.appendingPathComponent("\(name).log").path))
        }
        let binary = self.binary
        let started = try await withThrowingTaskGroup(of: (Int, NodeProcess).self) { group in
            for (index, launch) in launches.enumerated() {
                group.addTask {
                    let process = try await NodeProcess.launch(
                        binary: binary, name: launch.name, port: launch.port, configPath: launch.config, logPath: launch.log)
                    return (index, process)
                }
            }
            var started: [(Int, NodeProcess)] = []
            do {
                while let next = try await group.next() { started.append(next) }
            } catch {
                // The nodes that did start are killed (and reaped) here; those that failed cleaned up already.
                for (_, process) in started { process.cleanup() }
                throw error
            }
            return started.sorted { $0.0 < $1.0 }.map(\.1)
        }
        self.nodes.withLock { $0.append(contentsOf: started) }
    }

    // MARK: Clients

    /// A subscriber to `channel` through the nodes at `nodes` (the first is used first; on a lost
    /// connection the client moves to the next, round robin). Disconnected by the teardown.
    func subscribe(_ channel: String, via nodes: [Int], user: String = "watcher", label: String? = nil) async throws -> ClusterSubscriber {
        let urls = nodes.map { self.url($0) }
        let subscriber = try await ClusterSubscriber.start(
            label: label ?? "subscriber via \(nodes.map { Self.nodeName($0) })", urls: urls, channel: channel, user: user)
        self.subscribers.withLock { $0.append(subscriber) }
        return subscriber
    }

    /// The tail of every node's log, for failure messages.
    func diagnostics() -> String {
        let nodes = self.nodes.withLock { $0 }
        return nodes.map { "--- \($0.name) (port \($0.port)) log tail:\n\($0.logTail(1500))" }.joined(separator: "\n")
    }

    // MARK: Teardown

    /// Disconnects the subscribers, stops the nodes (SIGTERM, SIGKILL after 3 s) and Redis, and removes
    /// the directory.
    func shutdown() async {
        let subscribers = self.subscribers.withLock { list in
            defer { list.removeAll() }
            return list
        }
        for subscriber in subscribers { await subscriber.close() }
        let nodes = self.nodes.withLock { $0 }
        await withTaskGroup(of: Void.self) { group in
            for node in nodes { group.addTask { await node.stop(within: .seconds(3)) } }
        }
        self.cleanup()
    }

    /// Kills every node and Redis (reaping them) and removes the directory. Idempotent; synchronous.
    func cleanup() {
        for node in self.nodes.withLock({ $0 }) { node.cleanup() }
        self.redis.cleanup()
        try? FileManager.default.removeItem(at: self.directory)
    }
}
