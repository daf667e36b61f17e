import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads a process's resident memory and CPU time from Linux's `/proc` (for `--pid`), and this process's
/// own CPU time. Every read returns nil where `/proc` is unavailable or the process is gone.
enum NodeProcessProbe {
    /// `VmRSS` of `/proc/PID/status`, in KiB.
    static func residentKiB(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        return residentKiB(status: status)
    }

    /// `VmRSS` from the text of a `/proc/PID/status` file, in KiB.
    static func residentKiB(status: String) -> Int? {
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
        }
        return nil
    }

    /// User plus system CPU time of `pid`, in seconds (fields 14 and 15 of `/proc/PID/stat`).
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        return cpuSeconds(stat: stat, ticksPerSecond: ticksPerSecond)
    }

    /// User plus system CPU time from the text of a `/proc/PID/stat` file. The command name (field 2) is in
    /// parentheses and may contain spaces, so fields are counted after its closing parenthesis.
    static func cpuSeconds(stat: String, ticksPerSecond: Double) -> Double? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // fields[0] is field 3 (state), so utime (14) and stime (15) are fields[11] and fields[12].
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }

    /// This process's CPU time in seconds.
    static func ownCPUSeconds() -> Double? {
        cpuSeconds(pid: getpid())
    }

    private static var ticksPerSecond: Double {
        #if canImport(Glibc)
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return ticks > 0 ? Double(ticks) : 100
        #else
        return 100
        #endif
    }
}
