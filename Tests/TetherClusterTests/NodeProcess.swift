import Foundation
import Synchronization
import TetherTesting

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One `tether node --config FILE` child process, its stdout and stderr appended to a log file.
///
/// ``launch(binary:name:port:configPath:logPath:)`` returns once the node accepts TCP connections on its
/// port. ``kill()`` (SIGKILL) and ``stop(within:)`` (SIGTERM, SIGKILL after the grace period) return once the
/// process is reaped; ``cleanup()`` (also run by `deinit`) kills and reaps it if it still runs, so no node
/// outlives the harness that started it. Thread-safe.
///
/// Spawned with `posix_spawn`, an empty signal mask and default dispositions rather than Foundation's
/// `Process`: the test process may block SIGTERM on the spawning thread, and a child inheriting that mask
/// would ignore ``stop(within:)`` (the same reason as `RedisServerProcess`).
final class NodeProcess: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let name: String
    let port: Int
    let logPath: String
    private let pid: Mutex<pid_t?>

    private init(name: String, port: Int, logPath: String, pid: pid_t) {
        self.name = name
        self.port = port
        self.logPath = logPath
        self.pid = Mutex(pid)
    }

    deinit {
        self.cleanup()
    }

    /// `ws://127.0.0.1:PORT/connection/websocket`.
    var url: String { "ws://127.0.0.1:\(self.port)/connection/websocket" }

    /// Starts `binary node --config configPath` and waits (up to `timeout`) until 127.0.0.1:`port` accepts a
    /// connection. Throws with the log's tail if the process exits or the port stays closed.
    static func launch(
        binary: String, name: String, port: Int, configPath: String, logPath: String,
        timeout: Duration = .seconds(20)
    ) async throws -> NodeProcess {
        // Info level for Hummingbird's "listening" line: a port that merely accepts could be another test's
        // server if this node failed to bind it.
        let pid = try Self.spawn(binary, ["node", "--config", configPath, "--log-level", "info"], logPath: logPath)
        let process = NodeProcess(name: name, port: port, logPath: logPath, pid: pid)
        let deadline = ContinuousClock.now + timeout
        while true {
            if !process.isRunning {
                throw Failure(description: "node \(name) exited before accepting connections on port \(port); log:\n\(process.logTail())")
            }
            if process.logTail(1 << 20).contains("listening on 127.0.0.1:\(port)"), LoopbackPort.accepts(port) { return process }
            if ContinuousClock.now >= deadline {
                process.cleanup()
                throw Failure(description: "node \(name) did not accept connections on port \(port) within \(timeout); log:\n\(process.logTail())")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Whether the process is running (it is reaped here once it has exited).
    var isRunning: Bool {
        self.pid.withLock { pid in
            guard let current = pid else { return false }
            var status: Int32 = 0
            if waitpid(current, &status, WNOHANG) == 0 { return true }
            pid = nil
            return false
        }
    }

    /// SIGKILL, then reaps the process: when this returns the node is gone and its sockets are closed.
    func kill() {
        self.cleanup()
    }

    /// SIGTERM (the node drains its clients and exits), then waits up to `grace` before falling back to
    /// SIGKILL. Returns once the process is reaped.
    func stop(within grace: Duration = .seconds(10)) async {
        guard let current = self.pid.withLock({ $0 }), self.isRunning else { return }
        ChildProcess.signal(current, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while self.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        self.cleanup()
    }

    /// Kills (SIGKILL) and reaps the process if it is still running. Idempotent; blocks only for the reap.
    func cleanup() {
        self.pid.withLock { pid in
            guard let current = pid else { return }
            ChildProcess.signal(current, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(current, &status, 0)
            pid = nil
        }
    }

    /// The last `limit` characters of the node's log.
    func logTail(_ limit: Int = 3000) -> String {
        let text = (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? "(no log at \(self.logPath))"
        return String(text.suffix(limit))
    }

    private static func spawn(_ executable: String, _ arguments: [String], logPath: String) throws -> pid_t {
        do {
            return try ChildProcess.spawn(executable, arguments, outputPath: logPath)
        } catch {
            throw Failure(description: error.description)
        }
    }
}
