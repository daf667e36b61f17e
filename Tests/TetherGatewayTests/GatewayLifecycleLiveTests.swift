import Foundation
import Testing
import TetherGateway
import TetherGatewayCore
import TetherTesting

/// Drain, reload and shutdown through a real gateway.
@Suite struct GatewayLifecycleLiveTests {
    /// Opens `count` tunnels and records, for each, when its close arrived and with which code.
    private static func openTunnels(_ harness: GatewayHarness, count: Int) async throws -> [WebSocketTestClient] {
        var clients: [WebSocketTestClient] = []
        for _ in 0..<count { clients.append(try await harness.connect()) }
        // A tunnel is registered a tick after its 101, once both HTTP decoders have left the pipelines.
        _ = await eventually { await harness.gateway.tunnelCount() == count }
        return clients
    }

    private static func closes(of clients: [WebSocketTestClient], since start: ContinuousClock.Instant) async throws -> [(code: UInt16?, at: Duration)] {
        try await withThrowingTaskGroup(of: (UInt16?, Duration).self) { group in
            for client in clients {
                group.addTask {
                    while true {
                        if case .close(let code, _) = try await client.receive(timeout: .seconds(10)) {
                            try? await client.close(code: code)
                            return (code, ContinuousClock.now - start)
                        }
                    }
                }
            }
            var result: [(code: UInt16?, at: Duration)] = []
            for try await item in group { result.append(item) }
            return result.sorted { $0.at < $1.at }
        }
    }

    @Test func drainClosesTunnelsWith1012SpreadOverTheWindow() async throws {
        let harness = try await GatewayHarness.start(servers: 1) { $0.clusters[0].drainWindow = .seconds(2) }
        defer { Task { await harness.stop() } }
        let clients = try await Self.openTunnels(harness, count: 10)
        let start = ContinuousClock.now
        let change = await harness.gateway.setEndpointState(cluster: "app", endpoint: harness.endpointID(0), to: .drain)
        #expect(change == .changed(drainingTunnels: 10))
        let closes = try await Self.closes(of: clients, since: start)
        #expect(closes.allSatisfy { $0.code == 1012 })
        #expect(closes.first!.at < .milliseconds(700), "the first close comes early in the window")
        #expect(closes.last!.at > .milliseconds(1200), "the last close comes late in the window: \(closes.map(\.at))")
        #expect(closes.last!.at < .seconds(4))
        // A drained endpoint takes no new connection.
        await #expect(throws: WebSocketTestClientError.self) { _ = try await harness.connect() }
    }

    @Test func reloadKeepsEstablishedTunnelsAndDrainsOnlyRemovedEndpoints() async throws {
        let harness = try await GatewayHarness.start(servers: 2) { $0.clusters[0].policy = .roundRobin; $0.clusters[0].drainWindow = .milliseconds(100) }
        defer { Task { await harness.stop() } }
        let a = try await harness.connect()
        let b = try await harness.connect()
        let onFirst = GatewayHarness.serverName(a) == "s0" ? a : b
        let onSecond = onFirst === a ? b : a
        // Reload: new route table, new limits, and the second endpoint removed.
        var next = harness.gateway.configuration
        next.listeners[0].routes = [RouteConfiguration(pathPrefix: "/", cluster: "app"), RouteConfiguration(pathPrefix: "/v2", cluster: "app")]
        next.limits.maxRequestHeadBytes = 8192
        next.clusters[0].endpoints.removeAll { $0.address.port == harness.servers[1].localPort }
        let summary = try await harness.gateway.apply(next)
        #expect(summary.endpointsRemoved == ["app/\(harness.endpointID(1))"])
        try await onFirst.send(text: "after reload")
        #expect(try await onFirst.receive() == .text("after reload"))
        #expect(try await onSecond.receive(timeout: .seconds(3)) == .close(code: 1012, reason: "endpoint draining"))
        let fresh = try await harness.connect(path: "/v2/x")
        #expect(GatewayHarness.serverName(fresh) == "s0")
        try await fresh.close()
        try await onFirst.close()
    }

    @Test func shutdownClosesTunnelsWith1001() async throws {
        let harness = try await GatewayHarness.start(servers: 1)
        let clients = try await Self.openTunnels(harness, count: 3)
        let shutdown = Task { await harness.gateway.shutdown() }
        let closes = try await Self.closes(of: clients, since: .now)
        #expect(closes.map(\.code) == [1001, 1001, 1001])
        await shutdown.value
        for server in harness.servers { await server.stop() }
    }
}
