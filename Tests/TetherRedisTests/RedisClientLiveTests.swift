import Logging
import NIOCore
import NIOPosix
import NIOSSL
import TetherRedis
import TetherTesting
import Testing

/// Against a real `redis-server` started per test on a free loopback port.
@Suite struct RedisClientLiveTests {
    typealias Support = RedisTestSupport

    @Test(arguments: [RedisConfiguration.ProtocolVersion.resp3, .resp2])
    func getSetAndTypes(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let server = try await RedisServerProcess.start()
        let client = Support.client(Support.configuration(for: server) { $0.protocolVersion = version })
        defer { server.cleanup() }
        #expect(try await client.send("SET", "greeting", .bytes(ByteBuffer(bytes: [0, 1, 2, 255]))).string == "OK")
        #expect(try await client.send("GET", "greeting").buffer == ByteBuffer(bytes: [0, 1, 2, 255]))
        #expect(try await client.send("GET", "missing") == .null)
        #expect(try await client.send("INCRBY", "n", 41) == .integer(41))
        #expect(try await client.send("INCR", "n").int == 42)
        _ = try await client.send("HSET", "h", "f", "v")
        let hash = try await client.send("HGETALL", "h")
        if version == .resp3 {
            #expect(hash == .map([.bulkString(ByteBuffer(string: "f")), .bulkString(ByteBuffer(string: "v"))]))
        } else {
            #expect(hash == .array([.bulkString(ByteBuffer(string: "f")), .bulkString(ByteBuffer(string: "v"))]))
        }
        await #expect(throws: RedisError.server(code: "WRONGTYPE", message: "Operation against a key holding the wrong kind of value")) {
            _ = try await client.send("LPUSH", "h", "x")
        }
        await #expect(throws: RedisError.self) { _ = try await client.send("NOSUCHCOMMAND") }
        await client.shutdown()
        await #expect(throws: RedisError.poolClosed) { _ = try await client.send("PING") }
    }

    /// With client-side caching on, Redis pushes invalidations on the command connection: they must not be
    /// taken for replies.
    @Test func pushFramesOnACommandConnectionAreIgnored() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let client = Support.client(Support.configuration(for: server) { $0.poolSize = 1 })
        let writer = Support.client(Support.configuration(for: server))
        #expect(try await client.send("CLIENT", "TRACKING", "ON").string == "OK")
        for round in 0..<20 {
            _ = try await writer.send("SET", "tracked", .string("v\(round)"))
            #expect(try await client.send("GET", "tracked").string == "v\(round)")  // tracks the key again
            #expect(try await client.send("ECHO", .string("e\(round)")).string == "e\(round)")
        }
        await client.shutdown()
        await writer.shutdown()
    }

    @Test func selectsTheDatabase() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        for version in [RedisConfiguration.ProtocolVersion.resp3, .resp2] {
            let db3 = Support.client(Support.configuration(for: server) { $0.database = 3; $0.protocolVersion = version })
            let db0 = Support.client(Support.configuration(for: server))
            _ = try await db3.send("SET", "where", "three-\(version)")
            #expect(try await db3.send("GET", "where").string == "three-\(version)")
            #expect(try await db0.send("GET", "where") == .null)
            await db3.shutdown()
            await db0.shutdown()
        }
    }

    @Test func pipelineOfAThousandInOrder() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let client = Support.client(Support.configuration(for: server))
        var commands = (0..<1000).map { i in RESPCommand("RPUSH", ["list", .int(i)]) }
        commands.insert(RESPCommand("LPUSH", ["list-not-a-hash"]), at: 500)  // wrong arity: an error in the middle
        let results = try await client.pipeline(commands)
        #expect(results.count == 1001)
        for (index, result) in results.enumerated() {
            if index == 500 {
                guard case .failure(.server(let code, _)) = result else {
                    Issue.record("expected an error reply at 500, got \(result)")
                    continue
                }
                #expect(code == "ERR")
            } else {
                #expect(try result.get() == .integer(Int64(index < 500 ? index + 1 : index)))
            }
        }
        let list = try await client.send("LRANGE", "list", 0, -1).array?.compactMap(\.int)
        #expect(list == (0..<1000).map(Int64.init))
        await client.shutdown()
    }

    @Test func manyConcurrentTasks() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let client = Support.client(Support.configuration(for: server) { $0.poolSize = 3 })
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<50 {
                group.addTask { () async throws in
                    for i in 1...40 {
                        #expect(try await client.send("INCR", "shared") != .null)
                        #expect(try await client.send("INCR", .string("own-\(task)")) == .integer(Int64(i)))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await client.send("GET", "shared").int == 2000)
        let clients = try await client.send("CLIENT", "LIST").string ?? ""
        #expect(clients.split(separator: "\n").count <= 3, "pool grew past poolSize")
        await client.shutdown()
    }

    @Test func evalshaLoadsTheScriptOnNoscript() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let client = Support.client(Support.configuration(for: server))
        let script = RedisScript("redis.call('SET', KEYS[1], ARGV[1]); return {KEYS[1], tonumber(ARGV[2]) + 1}")
        let first = try await client.eval(script, keys: ["k"], args: ["v", 41])
        #expect(first.array?.map(\.string) == ["k", "42"])
        #expect(try await client.send("GET", "k").string == "v")
        #expect(try await client.send("SCRIPT", "LOAD", .string(script.source)).string == script.sha1)
        _ = try await client.send("SCRIPT", "FLUSH")
        #expect(try await client.send("SCRIPT", "EXISTS", .string(script.sha1)).array == [.integer(0)])
        let again = try await client.eval(script, keys: ["k2"], args: ["w", 1])
        #expect(again.array?.map(\.string) == ["k2", "2"])
        #expect(try await client.send("SCRIPT", "EXISTS", .string(script.sha1)).array == [.integer(1)])
        await #expect(throws: RedisError.self) {
            _ = try await client.eval(RedisScript("return redis.call('LPUSH', KEYS[1])"), keys: ["x"], args: [])
        }
        await client.shutdown()
    }

    @Test(arguments: [RedisConfiguration.ProtocolVersion.resp3, .resp2])
    func authenticatesWithUserAndPassword(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let server = try await RedisServerProcess.start(.init(requirePass: "default-secret", aclUser: ("alice", "alice-secret")))
        defer { server.cleanup() }
        let alice = Support.client(Support.configuration(for: server) {
            $0.username = "alice"; $0.password = "alice-secret"; $0.protocolVersion = version
        })
        #expect(try await alice.send("ACL", "WHOAMI").string == "alice")
        let named = Support.client(Support.configuration(for: server) {
            $0.username = "alice"; $0.password = "alice-secret"; $0.protocolVersion = version; $0.clientName = "named-\(version)"
        })
        #expect(try await named.send("CLIENT", "GETNAME").string == "named-\(version)")
        await named.shutdown()
        let defaultUser = Support.client(Support.configuration(for: server) { $0.password = "default-secret"; $0.protocolVersion = version })
        #expect(try await defaultUser.send("ACL", "WHOAMI").string == "default")

        let wrong = Support.client(Support.configuration(for: server) {
            $0.username = "alice"; $0.password = "nope"; $0.protocolVersion = version
        })
        do {
            _ = try await wrong.send("PING")
            Issue.record("a wrong password was accepted")
        } catch let error as RedisError {
            guard case .authenticationFailed = error else {
                Issue.record("expected authenticationFailed, got \(error)")
                return
            }
        }
        if version == .resp3 {
            // No password at all: HELLO is refused with NOAUTH.
            let none = Support.client(Support.configuration(for: server))
            await #expect {
                _ = try await none.send("PING")
            } throws: { error in
                if case .authenticationFailed = error as? RedisError { return true }
                return false
            }
            await none.shutdown()
        }
        await alice.shutdown()
        await defaultUser.shutdown()
        await wrong.shutdown()
    }

    /// A server that does not know HELLO (renamed away here) makes a RESP3 client fall back to RESP2.
    @Test func fallsBackToResp2WhenHelloIsUnknown() async throws {
        let server = try await RedisServerProcess.start(.init(requirePass: "pw", extraArguments: ["--rename-command", "HELLO", ""]))
        defer { server.cleanup() }
        let client = Support.client(Support.configuration(for: server) {
            $0.password = "pw"; $0.database = 2; $0.clientName = "fallback-client"
        })
        _ = try await client.send("HSET", "h", "f", "v")
        #expect(try await client.send("HGETALL", "h") == .array([.bulkString(ByteBuffer(string: "f")), .bulkString(ByteBuffer(string: "v"))]))
        let info = try await client.send("CLIENT", "INFO").string ?? ""
        #expect(info.contains("resp=2"))
        #expect(info.contains("name=fallback-client"))
        #expect(info.contains("db=2"))
        await client.shutdown()
    }

    @Test func tls() async throws {
        let server = try await RedisServerProcess.start(.init(tls: true))
        defer { server.cleanup() }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(try #require(server.caCertificatePath))
        let client = Support.client(Support.configuration(for: server) { $0.tls = tls; $0.serverHostname = "localhost" })
        #expect(try await client.send("SET", "secure", "yes").string == "OK")
        #expect(try await client.send("GET", "secure").string == "yes")
        await client.shutdown()

        // By IP address, the certificate's IP entry is checked (no SNI is sent for an IP).
        let byIP = Support.client(Support.configuration(for: server) { $0.tls = tls })
        #expect(try await byIP.send("GET", "secure").string == "yes")
        await byIP.shutdown()

        // Without trusting the CA the handshake fails and the call says so.
        let untrusting = Support.client(Support.configuration(for: server) {
            $0.tls = TLSConfiguration.makeClientConfiguration(); $0.serverHostname = "localhost"
        })
        await #expect(throws: RedisError.self) { _ = try await untrusting.send("PING") }
        await untrusting.shutdown()
    }

    @Test func timeoutFailsTheCallAndReplacesTheConnection() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        // Only the BLPOP has a short timeout: on a loaded machine the calls after it must not time out too.
        let client = Support.client(Support.configuration(for: server) { $0.poolSize = 1; $0.commandTimeout = .seconds(10) })
        let started = ContinuousClock.now
        await #expect(throws: RedisError.timeout) {
            _ = try await client.send(RESPCommand("BLPOP", ["never", 0]), timeout: .milliseconds(200))
        }
        #expect(ContinuousClock.now - started < .seconds(2))
        // The connection with the stuck BLPOP was closed; the next call gets a fresh one.
        #expect(try await client.send("PING").string == "PONG")
        let gone = try await Support.eventually(timeout: .seconds(5)) { () async throws -> Bool in
            guard !(try await client.send("CLIENT", "LIST").string ?? "").contains("cmd=blpop") else { throw RedisError.timeout }
            return true
        }
        #expect(gone)
        await client.shutdown()
    }

    @Test func boundedPending() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let client = Support.client(Support.configuration(for: server) { $0.maxPendingCommands = 10; $0.commandTimeout = .seconds(10) })
        let observer = Support.client(Support.configuration(for: server))
        await #expect(throws: RedisError.tooManyPending) {
            _ = try await client.pipeline(Array(repeating: RESPCommand("PING"), count: 11))
        }
        // Ten blocked calls fill the client; the eleventh fails at once.
        let blocked = Task {
            try await client.pipeline(Array(repeating: RESPCommand("BLPOP", ["never", 0]), count: 10))
        }
        try await Support.waitForBlockedClient(observer, command: "blpop")
        let started = ContinuousClock.now
        await #expect(throws: RedisError.tooManyPending) { _ = try await client.send("PING") }
        #expect(ContinuousClock.now - started < .milliseconds(500))
        await client.shutdown()
        let results = try await blocked.value
        #expect(results.allSatisfy { if case .failure(.poolClosed) = $0 { true } else { false } })
        await observer.shutdown()
    }

    @Test func serverKilledThenRestarted() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let client = Support.client(Support.configuration(for: server) { $0.poolSize = 2; $0.commandTimeout = .seconds(10) })
        let observer = Support.client(Support.configuration(for: server))
        #expect(try await client.send("PING").string == "PONG")
        // One write: once the first BLPOP is seen blocking, all three calls are in flight.
        let pending = Task {
            try await client.pipeline([RESPCommand("BLPOP", ["never", 0]), RESPCommand("PING"), RESPCommand("GET", ["k"])])
        }
        try await Support.waitForBlockedClient(observer, command: "blpop")
        let killedAt = ContinuousClock.now
        await server.kill()
        let results = try await pending.value
        #expect(results.count == 3)
        #expect(results.allSatisfy { if case .failure(.connectionClosed) = $0 { true } else { false } })
        #expect(ContinuousClock.now - killedAt < .seconds(2), "pending calls must fail when the connection drops")

        // While Redis is down calls fail fast.
        let downAt = ContinuousClock.now
        for _ in 0..<5 {
            await #expect(throws: RedisError.self) { _ = try await client.send("PING") }
        }
        #expect(ContinuousClock.now - downAt < .seconds(1))

        try await server.restart()
        let pong = try await Support.eventually { try await client.send("PING") }
        #expect(pong.string == "PONG")
        #expect(try await client.send("SET", "after", "restart").string == "OK")
        await client.shutdown()
        await observer.shutdown()
    }

    @Test func shutdownFailsPendingCallsWithPoolClosed() async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let client = Support.client(Support.configuration(for: server) { $0.commandTimeout = .seconds(10) })
        let observer = Support.client(Support.configuration(for: server))
        let pending = Task { try await client.send("BLPOP", "never", 0) }
        try await Support.waitForBlockedClient(observer, command: "blpop")
        await client.shutdown()
        await #expect(throws: RedisError.poolClosed) { _ = try await pending.value }
        await observer.shutdown()
    }

    @Test func connectFailsFastWhenNothingListens() async throws {
        let server = try await RedisServerProcess.start()
        let port = server.port
        server.cleanup()
        let client = Support.client(RedisConfiguration(port: port))
        let started = ContinuousClock.now
        for _ in 0..<3 {
            await #expect {
                _ = try await client.send("PING")
            } throws: { error in
                if case .connectFailed = error as? RedisError { return true }
                return false
            }
        }
        #expect(ContinuousClock.now - started < .seconds(1))
        await client.shutdown()
    }
}

/// Against a fake server that misbehaves on purpose.
@Suite struct RedisClientFaultTests {
    typealias Support = RedisTestSupport

    @Test func garbageFromTheServerIsAProtocolError() async throws {
        let server = try await FakeRedisServer(replies: ["%0\r\n", "$99999999999\r\n"])
        let client = Support.client(RedisConfiguration(port: server.port, poolSize: 1))
        await #expect {
            _ = try await client.send("GET", "k")
        } throws: { error in
            if case .protocolError = error as? RedisError { return true }
            return false
        }
        await client.shutdown()
        await server.close()
    }

    @Test func replyOfTheWrongShapeFailsNoOtherCall() async throws {
        // HELLO's reply, then one reply holding two values: the second one has no call to go to.
        let server = try await FakeRedisServer(replies: ["%0\r\n", "+PONG\r\n+EXTRA\r\n"])
        let client = Support.client(RedisConfiguration(port: server.port, poolSize: 1))
        #expect(try await client.send("PING").string == "PONG")
        await client.shutdown()
        await server.close()
    }

    @Test func silentServerTimesOutTheHandshake() async throws {
        let server = try await FakeRedisServer(replies: [])
        let client = Support.client(RedisConfiguration(port: server.port, connectTimeout: .milliseconds(300)))
        let started = ContinuousClock.now
        await #expect {
            _ = try await client.send("PING")
        } throws: { error in
            if case .connectFailed = error as? RedisError { return true }
            return false
        }
        #expect(ContinuousClock.now - started < .seconds(2))
        await client.shutdown()
        await server.close()
    }

    @Test func helloRefusedWithNoprotoFallsBackToResp2() async throws {
        // Answers HELLO with NOPROTO, then the PING sent in RESP2.
        let server = try await FakeRedisServer(replies: ["-NOPROTO unsupported protocol version\r\n", "+PONG\r\n"])
        let client = Support.client(RedisConfiguration(port: server.port, poolSize: 1))
        #expect(try await client.send("PING").string == "PONG")
        await client.shutdown()
        await server.close()
    }
}
