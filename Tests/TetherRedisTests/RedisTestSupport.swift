import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import TetherRedis
import TetherTesting
import Testing

enum RedisTestSupport {
    static var logger: Logger {
        var logger = Logger(label: "redis-tests")
        logger.logLevel = .warning
        return logger
    }

    static func configuration(for server: RedisServerProcess, _ adjust: (inout RedisConfiguration) -> Void = { _ in }) -> RedisConfiguration {
        var configuration = RedisConfiguration(
            port: server.port, reconnectBackoff: .init(initial: .milliseconds(20), maximum: .milliseconds(200)))
        adjust(&configuration)
        return configuration
    }

    static func client(_ configuration: RedisConfiguration) -> RedisClient {
        RedisClient(configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
    }

    /// Retries `body` until it succeeds or `timeout` passes (then rethrows the last error).
    static func eventually<T: Sendable>(
        timeout: Duration = .seconds(10), _ body: () async throws -> T
    ) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                return try await body()
            } catch {
                if ContinuousClock.now >= deadline { throw error }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// Waits until a second connection sees a client blocked in `command` (from `CLIENT LIST`), so a test knows
    /// a call is really pending on the server.
    static func waitForBlockedClient(_ observer: RedisClient, command: String, count: Int = 1) async throws {
        _ = try await eventually(timeout: .seconds(5)) { () async throws -> Bool in
            let list = try await observer.send("CLIENT", "LIST").string ?? ""
            guard list.components(separatedBy: "cmd=\(command)").count - 1 >= count else { throw RedisError.timeout }
            return true
        }
    }
}

/// Collects values pushed from callbacks and lets a test await them with a deadline.
final class Inbox<Element: Sendable>: Sendable {
    private let state = Mutex<(items: [Element], waiters: [(Int, CheckedContinuation<Void, Never>)])>(([], []))

    func push(_ element: Element) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.items.append(element)
            let count = state.items.count
            let ready = state.waiters.filter { $0.0 <= count }.map(\.1)
            state.waiters.removeAll { $0.0 <= count }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    var items: [Element] { state.withLock { $0.items } }

    /// Waits until at least `count` values arrived (or `timeout` passed) and returns all of them.
    func wait(for count: Int, timeout: Duration = .seconds(10)) async -> [Element] {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let now = self.state.withLock { state -> Bool in
                        if state.items.count >= count { return true }
                        state.waiters.append((count, continuation))
                        return false
                    }
                    if now { continuation.resume() }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.releaseAll()
            }
            await group.next()
            group.cancelAll()
            self.releaseAll()
        }
        return items
    }

    private func releaseAll() {
        let waiters = state.withLock { state in
            defer { state.waiters.removeAll() }
            return state.waiters.map(\.1)
        }
        for continuation in waiters { continuation.resume() }
    }
}
