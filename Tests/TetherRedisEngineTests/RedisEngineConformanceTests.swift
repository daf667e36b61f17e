import Testing
import TetherCore
import TetherRedisEngine
import TetherTesting

/// The engine conformance suite (TetherTesting) on the Redis engine: each case on its own real
/// `redis-server`, time passing for real (TTLs of 1.5 s).
@Suite struct RedisEngineConformanceTests {
    @Test(arguments: EngineConformance.cases)
    func conforms(_ check: EngineConformanceCase) async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let context = EngineConformanceContext(
            ttl: .milliseconds(1500),
            quietPeriod: .milliseconds(200),
            makeEngine: { RedisEngineTestSupport.engine(server) },
            disposeEngine: { engine in await (engine as? RedisEngine)?.shutdown() },
            waitPast: { try await Task.sleep(for: $0 + .milliseconds(30)) }
        )
        try await check.run(context)
    }
}
