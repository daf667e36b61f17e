import NIOCore
import Testing
import TetherGateway
import TetherGatewayCore
import TetherTesting

/// An endpoint that accepts and never answers, and HTTP edge cases of the downstream connection.
@Suite struct GatewayTimeoutsLiveTests {
    @Test func handshakeToAHangingEndpointFailsOverAfterTheResponseTimeout() async throws {
        let hanging = try await silentServer()
        let harness = try await GatewayHarness.start(servers: 1) {
            $0.clusters[0].endpoints.insert(EndpointConfiguration(address: HostAndPort(host: "127.0.0.1", port: hanging.localAddress!.port!)), at: 0)
            $0.clusters[0].policy = .roundRobin
            $0.clusters[0].responseTimeout = .milliseconds(300)
        }
        defer { Task { await harness.stop(); try? await hanging.close() } }
        for _ in 0..<2 {
            let client = try await harness.connect()
            #expect(GatewayHarness.serverName(client) == "s0")
            try await client.close()
        }
    }

    @Test func plainRequestToAHangingEndpointGets504() async throws {
        let hanging = try await silentServer()
        let harness = try await GatewayHarness.start(servers: 0) {
            $0.clusters[0].endpoints = [EndpointConfiguration(address: HostAndPort(host: "127.0.0.1", port: hanging.localAddress!.port!))]
            $0.clusters[0].responseTimeout = .milliseconds(300)
        }
        defer { Task { await harness.stop(); try? await hanging.close() } }
        let response = try await WebSocketTestClient.httpGet(port: harness.port, path: "/slow")
        #expect(response.status == 504)
    }

    @Test func aLargeBodyOnAKeepAliveConnectionIsNotMistakenForALargeHead() async throws {
        let harness = try await GatewayHarness.start(servers: 1) { $0.limits.maxRequestHeadBytes = 1024 }
        defer { Task { await harness.stop() } }
        let connection = try await RawTCPConnection.connect(port: harness.port)
        try await connection.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await connection.readHTTPResponse().status == 200)
        let body = String(repeating: "b", count: 20_000)
        try await connection.send("POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let second = try await connection.readHTTPResponse()
        #expect(second.status == 200)
        #expect(second.body.contains("/second"))
        await connection.close()
    }

    @Test func aRequestThatAskedForAnotherProtocolEndsItsConnection() async throws {
        let harness = try await GatewayHarness.start(servers: 1)
        defer { Task { await harness.stop() } }
        let connection = try await RawTCPConnection.connect(port: harness.port)
        try await connection.send("GET /h2c HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
        let response = try await connection.readHTTPResponse()
        #expect(response.status == 200)
        #expect(response.headers["connection"] == "close")
        #expect(await connection.waitForClose())
    }
}
