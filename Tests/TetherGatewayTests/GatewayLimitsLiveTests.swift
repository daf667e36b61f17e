import Testing
import TetherGateway
import TetherGatewayCore
import TetherTesting

/// Every limit refuses with its documented status and leaves other clients alone.
@Suite struct GatewayLimitsLiveTests {
    @Test func oversizedRequestHeadGets431() async throws {
        let harness = try await GatewayHarness.start(servers: 1) { $0.limits.maxRequestHeadBytes = 1024 }
        defer { Task { await harness.stop() } }
        let bystander = try await harness.connect()
        let connection = try await RawTCPConnection.connect(port: harness.port)
        try await connection.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 4000))\r\n\r\n")
        #expect(try await connection.readHTTPResponse().status == 431)
        #expect(await connection.waitForClose())
        try await bystander.send(text: "unaffected")
        #expect(try await bystander.receive() == .text("unaffected"))
        try await bystander.close()
    }

    @Test func slowRequestHeadGets408() async throws {
        let harness = try await GatewayHarness.start(servers: 1) { $0.limits.requestHeadTimeout = .milliseconds(300) }
        defer { Task { await harness.stop() } }
        let connection = try await RawTCPConnection.connect(port: harness.port)
        try await connection.send("GET / HTTP/1.1\r\nHost: x\r\n")
        #expect(try await connection.readHTTPResponse().status == 408)
        #expect(await connection.waitForClose())
    }

    @Test func perIPConnectionLimitGets429() async throws {
        let harness = try await GatewayHarness.start(servers: 1) { $0.limits.maxConnectionsPerIP = 2 }
        defer { Task { await harness.stop() } }
        let first = try await harness.connect()
        let second = try await harness.connect()
        do {
            _ = try await harness.connect()
            Issue.record("the third connection from one IP should be refused")
        } catch let error as WebSocketTestClientError {
            #expect(error.status == 429)
        }
        try await first.close()
        try await first.waitForClosure()
        #expect(await eventually { (try? await harness.connect().close()) != nil }, "a slot frees when a connection closes")
        try await second.close()
    }

    @Test func upgradeRateLimitGets429WithRetryAfter() async throws {
        let harness = try await GatewayHarness.start(servers: 1) {
            $0.limits.upgradesPerIPPerSecond = 0.5
            $0.limits.upgradeBurst = 2
        }
        defer { Task { await harness.stop() } }
        for _ in 0..<2 { try await harness.connect().close() }
        do {
            _ = try await harness.connect()
            Issue.record("the third upgrade within a second should be refused")
        } catch let error as WebSocketTestClientError {
            #expect(error.status == 429)
            #expect(error.header("Retry-After") != nil)
        }
    }

    @Test func unknownRouteGets404() async throws {
        let harness = try await GatewayHarness.start(servers: 1) {
            $0.listeners[0].routes = [RouteConfiguration(host: "app.example", pathPrefix: "/ws", cluster: "app")]
        }
        defer { Task { await harness.stop() } }
        let response = try await WebSocketTestClient.httpGet(port: harness.port, path: "/other", headers: [("Host", "app.example")])
        #expect(response.status == 404)
        let routed = try await harness.connect(path: "/ws/room", headers: [("Host", "app.example")])
        try await routed.close()
    }

    @Test func endpointCircuitBreakerCapsConnections() async throws {
        let harness = try await GatewayHarness.start(servers: 1) { $0.clusters[0].endpoints[0].maxConnections = 2 }
        defer { Task { await harness.stop() } }
        let first = try await harness.connect()
        let second = try await harness.connect()
        await #expect(throws: WebSocketTestClientError.self) { _ = try await harness.connect() }
        #expect(harness.servers[0].webSocketConnectionCount == 2)
        try await first.close()
        try await second.close()
    }

    @Test func gatewayWideConnectionLimitGets503AndFreesOnClose() async throws {
        let harness = try await GatewayHarness.start(servers: 1) { $0.limits.maxConnections = 1 }
        defer { Task { await harness.stop() } }
        let first = try await harness.connect()
        let refused = try await RawTCPConnection.connect(port: harness.port)
        let response = try await refused.readHTTPResponse()
        #expect(response.status == 503)
        #expect(response.headers["retry-after"] != nil)
        #expect(await refused.waitForClose())
        try await first.send(text: "unaffected")
        #expect(try await first.receive() == .text("unaffected"))
        try await first.close()
        try await first.waitForClosure()
        #expect(await eventually { harness.gateway.openConnectionCount == 0 })
        let again = try await harness.connect()
        try await again.close()
    }
}
