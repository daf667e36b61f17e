import Foundation
import Synchronization

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
        let pid = try Self.spawn(binary, ["node", "--config", configPath, "--log-level", "notice"], logPath: logPath)
        let process = NodeProcess(name: name, port: port, logPath: logPath, pid: pid)
        let deadline = ContinuousClock.now + timeout
        while true {
            if !process.isRunning {
                throw Failure(description: "node \(name) exited before accepting connections on port \(port); log:\n\(process.logTail())")
            }
            if LoopbackPort.accepts(port) { return process }
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
        Self.signal(current, SIGTERM)
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
            Self.signal(current, SIGKILL)
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

    private static func signal(_ pid: pid_t, _ signal: Int32) {
        #if canImport(Glibc)
        _ = Glibc.kill(pid, signal)
        #else
        _ = Darwin.kill(pid, signal)
        #endif
    }

    private static func spawn(_ executable: String, _ arguments: [String], logPath: String) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw Failure(description: "posix_spawn \(executable) failed: \(String(cString: strerror(result)))")
        }
        return pid
    }
}
