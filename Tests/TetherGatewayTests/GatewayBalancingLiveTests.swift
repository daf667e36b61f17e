import Testing
import TetherGateway
import TetherGatewayCore
import TetherTesting

/// Stickiness, failover and health through a real gateway.
@Suite struct GatewayBalancingLiveTests {
    @Test func clientIPHashKeepsEachClientOnOneEndpoint() async throws {
        let harness = try await GatewayHarness.start(servers: 3) {
            $0.listeners[0].proxyProtocol = true
            $0.clusters[0].policy = .clientIPHash
        }
        defer { Task { await harness.stop() } }
        var placement: [String: String] = [:]
        for index in 1...30 {
            let source = "198.51.100.\(index)"
            let first = try await harness.connect(proxySource: source)
            placement[source] = GatewayHarness.serverName(first)
            try await first.close()
            await harness.settle()
        }
        #expect(Set(placement.values).count == 3, "30 client IPs should reach all 3 endpoints: \(placement)")
        for (source, server) in placement.sorted(by: { $0.key < $1.key }).prefix(10) {
            let again = try await harness.connect(proxySource: source)
            #expect(GatewayHarness.serverName(again) == server)
            #expect(harness.servers.contains { $0.lastUpgradeHeader("X-Forwarded-For") == source })
            try await again.close()
            await harness.settle()
        }
    }

    @Test func stickyCookieIsIssuedHonouredAndNeverTrustedWhenTampered() async throws {
        let sticky = StickyCookieConfiguration(secret: String(repeating: "k", count: 40))
        let harness = try await GatewayHarness.start(servers: 3) { $0.clusters[0].policy = .stickyCookie(sticky) }
        defer { Task { await harness.stop() } }
        let first = try await harness.connect()
        let setCookie = try #require(first.responseHeader("Set-Cookie"))
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax") && !setCookie.contains("Secure"))
        let cookie = String(setCookie.prefix { $0 != ";" })
        let server = GatewayHarness.serverName(first)
        try await first.close()
        for _ in 0..<6 {
            let again = try await harness.connect(headers: [("Cookie", "other=1; \(cookie)")])
            #expect(GatewayHarness.serverName(again) == server)
            #expect(again.responseHeader("Set-Cookie") == nil, "a valid cookie is not re-issued")
            try await again.close()
        }
        var tampered = Array(cookie)
        tampered[tampered.count - 3] = tampered[tampered.count - 3] == "A" ? "B" : "A"
        let forged = try await harness.connect(headers: [("Cookie", String(tampered))])
        #expect(forged.responseHeader("Set-Cookie") != nil, "a tampered cookie is ignored and a fresh one issued")
        try await forged.close()
    }

    @Test func failsOverFromADeadEndpointWithoutTheClientNoticing() async throws {
        let dead = try await deadPort()
        let harness = try await GatewayHarness.start(servers: 1) {
            $0.clusters[0].endpoints.insert(EndpointConfiguration(address: HostAndPort(host: "127.0.0.1", port: dead)), at: 0)
            $0.clusters[0].policy = .roundRobin
            $0.clusters[0].outlierDetection = OutlierDetectionConfiguration(consecutiveFailures: 2, baseEjectionTime: .seconds(30))
        }
        defer { Task { await harness.stop() } }
        for index in 0..<8 {
            let client = try await harness.connect()
            #expect(GatewayHarness.serverName(client) == "s0")
            try await client.send(text: "m\(index)")
            #expect(try await client.receive() == .text("m\(index)"))
            try await client.close()
        }
        let status = harness.gateway.clusterStatuses()[0].endpoints.first { $0.id == "127.0.0.1:\(dead)" }
        #expect(status?.ejected == true, "two failed connects eject the dead endpoint")
    }

    @Test func answers503WithRetryAfterWhenNoEndpointIsAvailable() async throws {
        let dead = try await deadPort()
        let harness = try await GatewayHarness.start(servers: 0) {
            $0.clusters[0].endpoints = [EndpointConfiguration(address: HostAndPort(host: "127.0.0.1", port: dead), state: .maint)]
        }
        defer { Task { await harness.stop() } }
        do {
            _ = try await harness.connect()
            Issue.record("the upgrade should have been refused")
        } catch let error as WebSocketTestClientError {
            #expect(error.status == 503)
            #expect(error.header("Retry-After") != nil)
        }
    }

    @Test func activeHealthChecksTakeAnUnhealthyEndpointOutAndBringItBack() async throws {
        let harness = try await GatewayHarness.start(servers: 2) {
            // Generous timeouts: a loaded CI machine must not fail the healthy endpoint's probes.
            $0.clusters[0].healthCheck = HealthCheckConfiguration(interval: .milliseconds(300), timeout: .milliseconds(250), rise: 1, fall: 2)
        }
        defer { Task { await harness.stop() } }
        harness.servers[1].healthy = false
        let down = harness.endpointID(1)
        #expect(await eventually { harness.gateway.clusterStatuses()[0].endpoints.first { $0.id == down }?.healthy == false })
        for _ in 0..<6 {
            let client = try await harness.connect()
            #expect(GatewayHarness.serverName(client) == "s0")
            try await client.close()
        }
        harness.servers[1].healthy = true
        #expect(await eventually { harness.gateway.clusterStatuses()[0].endpoints.first { $0.id == down }?.healthy == true })
    }
}
