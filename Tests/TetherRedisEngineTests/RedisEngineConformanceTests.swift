import Testing
import TetherCore
import TetherRedisEngine
import TetherTesting

/// The engine conformance suite (TetherTesting) on the Redis engine: every case on one real `redis-server`
/// (each case's names carry its own prefix), time passing for real (TTLs of 1.5 s).
@Suite struct RedisEngineConformanceTests {
    @Test(arguments: EngineConformance.cases)
    func conforms(_ check: EngineConformanceCase) async throws {
        let server = try await SharedRedisServer.shared.acquire()
        // Each case is a deployment of its own: its own key prefix, hence its own control channel.
        let prefix = "c\(UInt32.random(in: 0...UInt32.max))"
        let context = EngineConformanceContext(
            ttl: .milliseconds(1500),
            quietPeriod: .milliseconds(200),
            prefix: prefix + "-",
            makeEngine: { RedisEngineTestSupport.engine(server, prefix: prefix) },
            disposeEngine: { engine in await (engine as? RedisEngine)?.shutdown() },
            waitPast: { try await Task.sleep(for: $0 + .milliseconds(30)) }
        )
        do {
            try await check.run(context)
        } catch {
            await SharedRedisServer.shared.release()
            throw error
        }
        await SharedRedisServer.shared.release()
    }
}
