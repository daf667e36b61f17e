import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One `--at OFFSET=COMMAND` of `tether bench failover`: `/bin/sh -c COMMAND` run OFFSET after publishing
/// starts (how a script injects a kill, a drain, a scale-out or a Redis restart into the run).
///
/// The command's standard output goes to the bench's standard error (so `--json` stays one object), its
/// standard error is inherited. It must bound its own running time: the bench waits for it before counting.
struct NodeFailoverEvent: ExpressibleByArgument, Sendable, Equatable {
    var offset: Duration
    var command: String

    init(offset: Duration, command: String) {
        self.offset = offset
        self.command = command
    }

    /// `OFFSET=COMMAND`, OFFSET a duration (`3s`, `500ms`), COMMAND not empty.
    init?(argument: String) {
        guard let equals = argument.firstIndex(of: "=") else { return nil }
        guard case .success(let offset) = DurationParser.parse(String(argument[..<equals])) else { return nil }
        let command = String(argument[argument.index(after: equals)...])
        guard offset >= .zero, !command.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        self.offset = offset
        self.command = command
    }

    var defaultValueDescription: String { "OFFSET=COMMAND" }

    /// How a run of the command went.
    struct Outcome: Encodable, Sendable, Equatable {
        var offsetSeconds: Double
        var command: String
        /// When it started and how long it ran, in seconds from the start of publishing.
        var startedSeconds: Double
        var durationSeconds: Double
        /// Its exit status (128 + N when killed by signal N), nil when it could not be started.
        var status: Int32?
        var error: String?

        var succeeded: Bool { self.status == 0 }

        private enum CodingKeys: String, CodingKey {
            case command, status, error
            case offsetSeconds = "offset_seconds"
            case startedSeconds = "started_seconds"
            case durationSeconds = "duration_seconds"
        }
    }

    /// Waits until `start + offset`, runs the command and waits for it to exit.
    func run(start: ContinuousClock.Instant) async -> Outcome {
        try? await Task.sleep(until: start + self.offset)
        let began = ContinuousClock.now
        let (status, error) = await Self.shell(self.command)
        return Outcome(
            offsetSeconds: BenchConsole.seconds(self.offset), command: self.command,
            startedSeconds: BenchConsole.seconds(began - start), durationSeconds: BenchConsole.seconds(ContinuousClock.now - began),
            status: status, error: error)
    }

    /// Runs `/bin/sh -c command` (standard input from /dev/null, standard output to standard error) and
    /// waits for the shell to exit, not for processes it left running in the background; its exit status
    /// (128 + N when signal N ended it), or nil and why it could not start.
    ///
    /// `posix_spawn` and a `waitpid` on a thread of its own rather than Foundation's `Process`, which on
    /// Linux also waits for every background child that inherited its descriptors (a node started with `&`
    /// would hold the run until it exits).
    static func shell(_ command: String) async -> (status: Int32?, error: String?) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 2, 1)
        let strings: [String] = ["/bin/sh", "-c", command]
        let arguments: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, arguments, environ)
        guard spawned == 0 else { return (nil, "posix_spawn /bin/sh: \(String(cString: strerror(spawned)))") }
        let child = pid
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(child, &status, 0) < 0 {
                    guard errno == EINTR else {
                        continuation.resume(returning: (nil, "waitpid: \(String(cString: strerror(errno)))"))
                        return
                    }
                }
                // The wait status: the low 7 bits are the terminating signal (0 when it exited), the next
                // byte the exit code.
                let signal = status & 0x7F
                continuation.resume(returning: (signal == 0 ? (status >> 8) & 0xFF : 128 + signal, nil))
            }
        }
    }
}
