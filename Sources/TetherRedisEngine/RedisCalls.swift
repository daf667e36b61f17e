import Metrics
import TetherCore
import TetherRedis

/// The engine's way to Redis: the shared command pool, failures mapped to ``EngineError`` and counted.
///
/// Metrics: `tether_redis_call_failures_total{kind="unavailable"|"internal"}` and
/// `tether_redis_call_seconds{call}` (the time of each script call and command, failed ones included).
struct RedisCalls: Sendable {
    let client: RedisClient
    private let unavailable: Counter
    private let internalErrors: Counter
    private let factory: any MetricsFactory

    init(client: RedisClient, factory: any MetricsFactory) {
        self.client = client
        self.factory = factory
        self.unavailable = Counter(label: "tether_redis_call_failures_total", dimensions: [("kind", "unavailable")], factory: factory)
        self.internalErrors = Counter(label: "tether_redis_call_failures_total", dimensions: [("kind", "internal")], factory: factory)
    }

    /// A timer for one kind of call (`publish`, `history`, …).
    func timer(_ call: String) -> Timer {
        Timer(label: "tether_redis_call_seconds", dimensions: [("call", call)], preferredDisplayUnit: .milliseconds, factory: self.factory)
    }

    /// Runs a script (EVALSHA, loading it on NOSCRIPT).
    func run(_ script: RedisScript, keys: [String], args: [RESPArgument], timer: Timer? = nil) async throws(EngineError) -> RESPValue {
        let start = ContinuousClock.now
        defer { timer?.recordNanoseconds(Self.nanoseconds(since: start)) }
        do {
            return try await self.client.eval(script, keys: keys.map { .string($0) }, args: args)
        } catch {
            throw self.failed(error)
        }
    }

    /// Sends one command.
    func send(_ command: RESPCommand) async throws(EngineError) -> RESPValue {
        do {
            return try await self.client.send(command)
        } catch {
            throw self.failed(error)
        }
    }

    private func failed(_ error: any Error) -> EngineError {
        let mapped = Self.engineError(error)
        switch mapped {
        case .unavailable: self.unavailable.increment()
        case .internalError: self.internalErrors.increment()
        }
        return mapped
    }

    /// Redis being away, busy, loading or failing over is temporary; anything else is a bug or a misconfiguration.
    static func engineError(_ error: any Error) -> EngineError {
        if let error = error as? EngineError { return error }
        guard let error = error as? RedisError else { return .unavailable("redis: \(error)") }
        switch error {
        case .server(let code, let message):
            let temporary = ["LOADING", "BUSY", "OOM", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "NOREPLICAS", "MOVED", "ASK", "NOAUTH"]
            return temporary.contains(code) ? .unavailable("redis: \(code) \(message)") : .internalError("redis: \(code) \(message)")
        case .timeout: return .unavailable("redis: timed out")
        case .connectionClosed: return .unavailable("redis: connection closed")
        case .connectFailed(let why): return .unavailable("redis: cannot connect: \(why)")
        case .protocolError(let why): return .unavailable("redis: protocol error: \(why)")
        case .authenticationFailed(let why): return .unavailable("redis: authentication failed: \(why)")
        case .poolClosed: return .unavailable("redis: engine shut down")
        case .tooManyPending: return .unavailable("redis: too many calls in flight")
        }
    }

    private static func nanoseconds(since start: ContinuousClock.Instant) -> Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
    }
}
