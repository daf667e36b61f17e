import NIOCore
import Testing
import TetherGateway
import TetherGatewayCore
import TetherTesting

/// HTTP framing through the gateway: what reaches the endpoint, and connections that end early.
@Suite struct GatewayHTTPLiveTests {
    @Test func aChunkedBodyIsForwardedChunkedAndConnectionCannotStripFraming() async throws {
        let endpoint = try await CaptureServer.start(requestEnd: "0\r\n\r\n", response: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        let harness = try await GatewayHarness.start(servers: 0) {
            $0.clusters[0].endpoints = [EndpointConfiguration(address: HostAndPort(host: "127.0.0.1", port: endpoint.port))]
        }
        defer { Task { await harness.stop(); await endpoint.stop() } }
        let connection = try await RawTCPConnection.connect(port: harness.port)
        // A client trying to make the gateway drop the body's framing (and so smuggle a second request).
        let smuggled = "GET /internal HTTP/1.1\r\n\r\n"
        try await connection.send(
            "GET /public HTTP/1.1\r\nHost: x\r\nConnection: Transfer-Encoding, Content-Length\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(smuggled.utf8.count, radix: 16) + "\r\n" + smuggled + "\r\n0\r\n\r\n"
        )
        #expect(try await connection.readHTTPResponse().status == 200)
        let forwarded = endpoint.text.lowercased()
        #expect(forwarded.contains("transfer-encoding: chunked"))
        #expect(forwarded.hasSuffix("0\r\n\r\n"))
        await connection.close()
    }

    @Test func anEndpointThatHangsUpBeforeAnsweringFailsOverAtOnce() async throws {
        let hangUp = try await CaptureServer.start(response: nil)
        let harness = try await GatewayHarness.start(servers: 1) {
            $0.clusters[0].endpoints.insert(EndpointConfiguration(address: HostAndPort(host: "127.0.0.1", port: hangUp.port)), at: 0)
            $0.clusters[0].policy = .roundRobin
            $0.clusters[0].responseTimeout = .seconds(120)  // longer than the client waits: failover must not wait for it
        }
        defer { Task { await harness.stop(); await hangUp.stop() } }
        for _ in 0..<2 {
            let response = try await WebSocketTestClient.httpGet(port: harness.port, path: "/x", timeout: .seconds(10))
            #expect(response.status == 200)
            #expect(response.body.contains("s0 /x"))
        }
        let client = try await harness.connect()
        #expect(GatewayHarness.serverName(client) == "s0")
        try await client.close()
    }

    @Test func aClientThatHalfClosesBetweenRequestsFreesItsSlotAtOnce() async throws {
        let harness = try await GatewayHarness.start(servers: 1) { $0.limits.httpKeepAliveTimeout = .seconds(120) }
        defer { Task { await harness.stop() } }
        let connection = try await RawTCPConnection.connect(port: harness.port)
        try await connection.send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await connection.readHTTPResponse().status == 200)
        await connection.shutdownOutput()
        #expect(await connection.waitForClose())
        #expect(await eventually { harness.gateway.openConnectionCount == 0 })
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let harness = try await GatewayHarness.start(servers: 1)
        defer { Task { await harness.stop() } }
        let connection = try await RawTCPConnection.connect(port: harness.port)
        try await connection.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n")
        for path in ["/a", "/b", "/c"] {
            let response = try await connection.readHTTPResponse()
            #expect(response.status == 200)
            #expect(response.body.contains(path))
        }
        await connection.close()
    }
}
