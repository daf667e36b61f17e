import NIOCore
import Testing
import TetherGateway
import TetherGatewayCore
import TetherTesting

/// Echo, plain HTTP and header forwarding through a real gateway to real echo servers.
@Suite struct GatewayRelayLiveTests {
    @Test func echoesTextBinaryAndLargeMessagesThroughTheTunnel() async throws {
        let harness = try await GatewayHarness.start(servers: 1)
        defer { Task { await harness.stop() } }
        let client = try await harness.connect(path: "/chat?room=1", headers: [("Sec-WebSocket-Protocol", "chat.v1, chat.v2")])
        #expect(client.status == 101)
        #expect(client.responseHeader("Sec-WebSocket-Protocol") == "chat.v1")
        try await client.send(text: "hello")
        #expect(try await client.receive() == .text("hello"))
        let large = (0..<300_000).map { UInt8($0 % 251) }
        try await client.send(binary: large)
        #expect(try await client.receive() == .binary(large))
        try await client.close(code: 1000)
        #expect(try await client.receive() == .close(code: 1000, reason: ""))
        try await client.waitForClosure()
        #expect(harness.servers[0].lastUpgradeURI == "/chat?room=1")
        #expect(await eventually { await harness.gateway.tunnelCount() == 0 })
    }

    @Test func forwardsClientIdentityHeaders() async throws {
        let harness = try await GatewayHarness.start(servers: 1)
        defer { Task { await harness.stop() } }
        // The direct peer is not trusted: its X-Forwarded-For is replaced, not believed.
        let client = try await harness.connect(headers: [("X-Forwarded-For", "6.6.6.6"), ("Host", "app.example")])
        let server = harness.servers[0]
        #expect(server.lastUpgradeHeader("X-Forwarded-For") == "127.0.0.1")
        #expect(server.lastUpgradeHeader("X-Forwarded-Proto") == "http")
        #expect(server.lastUpgradeHeader("X-Forwarded-Host") == "app.example")
        try await client.close()
    }

    @Test func trustedProxyHeadersAreBelievedAndExtended() async throws {
        let harness = try await GatewayHarness.start(servers: 1) {
            $0.listeners[0].trustedProxies = [CIDR(parsing: "127.0.0.0/8")!]
            $0.clusters[0].policy = .clientIPHash
        }
        defer { Task { await harness.stop() } }
        let client = try await harness.connect(headers: [("X-Forwarded-For", "203.0.113.9")])
        #expect(harness.servers[0].lastUpgradeHeader("X-Forwarded-For") == "203.0.113.9, 127.0.0.1")
        try await client.close()
    }

    @Test func proxiesPlainHTTPRequests() async throws {
        let harness = try await GatewayHarness.start(servers: 1)
        defer { Task { await harness.stop() } }
        let response = try await WebSocketTestClient.httpGet(port: harness.port, path: "/api/items?x=1")
        #expect(response.status == 200)
        #expect(response.body.contains("s0 /api/items"))
        let health = try await WebSocketTestClient.httpGet(port: harness.port, path: "/health")
        #expect(health.status == 200)
    }

    @Test func keepsPlainHTTPConnectionsAlive() async throws {
        let harness = try await GatewayHarness.start(servers: 1)
        defer { Task { await harness.stop() } }
        let connection = try await RawTCPConnection.connect(port: harness.port)
        for path in ["/one", "/two", "/three"] {
            try await connection.send("GET \(path) HTTP/1.1\r\nHost: test\r\n\r\n")
            let response = try await connection.readHTTPResponse()
            #expect(response.status == 200)
            #expect(response.body.contains(path))
            #expect(response.headers["connection"] != "close")
        }
        #expect(harness.gateway.openConnectionCount == 1)
        await connection.close()
    }

    @Test func keepAlivePingsAnIdleClientAndSwallowsThePong() async throws {
        let harness = try await GatewayHarness.start(servers: 1) {
            $0.clusters[0].keepAlive = KeepAliveConfiguration(interval: .seconds(1), timeout: .seconds(3))
        }
        defer { Task { await harness.stop() } }
        let client = try await harness.connect()
        #expect(await eventually(timeout: .seconds(6)) { client.pingsReceived >= 1 })
        try await client.send(text: "still here")
        #expect(try await client.receive() == .text("still here"))
        try await client.close()
    }
}
