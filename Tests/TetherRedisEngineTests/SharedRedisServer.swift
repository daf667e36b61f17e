import TetherTesting

/// One `redis-server` shared by the tests that hold it at the same time (the conformance cases, which
/// keep their data apart with per-case prefixes): started by the first ``acquire()``, stopped by the last
/// ``release()``. Far lighter on a 2-core machine than a server per case.
actor SharedRedisServer {
    static let shared = SharedRedisServer()

    private var server: RedisServerProcess?
    private var starting: Task<RedisServerProcess, any Error>?
    private var holders = 0

    func acquire() async throws -> RedisServerProcess {
        self.holders += 1
        if let server = self.server { return server }
        let starting = self.starting ?? Task { try await RedisServerProcess.start() }
        self.starting = starting
        do {
            let server = try await starting.value
            self.server = server
            self.starting = nil
            return server
        } catch {
            self.holders -= 1
            self.starting = nil
            throw error
        }
    }

    func release() {
        self.holders -= 1
        guard self.holders == 0, let server = self.server else { return }
        self.server = nil
        server.cleanup()
    }
}
