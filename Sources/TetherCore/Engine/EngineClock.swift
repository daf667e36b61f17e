#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Wall-clock time for engines, injectable so TTL behaviour is tested without waiting.
public protocol EngineClock: Sendable {
    /// Milliseconds since the Unix epoch.
    func now() -> Int64
}

/// The system's real-time clock.
public struct SystemEngineClock: EngineClock {
    public init() {}

    public func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// A clock that moves only when told to (tests and the conformance suite).
public final class ManualEngineClock: EngineClock {
    private let current: Mutex<Int64>

    public init(start: Int64 = 1_700_000_000_000) {
        self.current = Mutex(start)
    }

    public func now() -> Int64 { self.current.withLock { $0 } }

    public func advance(by duration: Duration) {
        self.current.withLock { $0 += duration.milliseconds }
    }
}

extension Duration {
    /// Whole milliseconds (rounded down).
    public var milliseconds: Int64 {
        self.components.seconds * 1000 + self.components.attoseconds / 1_000_000_000_000_000
    }
}
