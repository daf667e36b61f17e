import Testing
import TetherGateway
import TetherGatewayCore
import TetherTesting

/// What a real gateway reports through swift-metrics while real traffic goes through it, read back from a
/// ``RecordingMetricsFactory``.
@Suite struct GatewayMetricsLiveTests {
    private static func endpointLabels(_ harness: GatewayHarness, _ index: Int = 0) -> [(String, String)] {
        [("cluster", "app"), ("endpoint", harness.endpointID(index))]
    }

    @Test func upgradesBytesAndMessagesPerDirection() async throws {
        let recorder = RecordingMetricsFactory()
        let harness = try await GatewayHarness.start(servers: 1, metrics: GatewayMetrics(factory: recorder))
        defer { Task { await harness.stop() } }
        let labels = Self.endpointLabels(harness)
        let up = labels + [("direction", "upstream")]
        let down = labels + [("direction", "downstream")]

        let client = try await harness.connect()
        #expect(recorder.counter(GatewayMetricNames.upgradesTotal, labels) == 1)
        #expect(recorder.timings(GatewayMetricNames.handshakeDuration, [("cluster", "app")]).count == 1)
        #expect(await eventually { recorder.meter(GatewayMetricNames.tunnelsActive, labels) == 1 })

        // Client frames are masked (2 + 4 bytes of header up to 125 bytes of payload, 4 + 4 up to 64 KiB);
        // the echo server's are not (2, or 4 bytes of header).
        let texts = ["a", "bb", String(repeating: "x", count: 200)]
        for text in texts {
            try await client.send(text: text)
            #expect(try await client.receive() == .text(text))
        }
        try await client.sendFrame(opcode: .text, payload: Array("frag-".utf8), fin: false)
        try await client.sendFrame(opcode: .continuation, payload: Array("ment".utf8))
        #expect(try await client.receive() == .text("frag-ment"))
        try await client.close(code: 1000)
        #expect(try await client.receive() == .close(code: 1000, reason: ""))
        try await client.waitForClosure()

        #expect(await eventually { recorder.meter(GatewayMetricNames.tunnelsActive, labels) == 0 }, "the tunnel is gone")
        let bytesUp = (6 + 1) + (6 + 2) + (8 + 200) + (6 + 5) + (6 + 4) + (6 + 2)
        let bytesDown = (2 + 1) + (2 + 2) + (4 + 200) + (2 + 9) + (2 + 2)
        #expect(recorder.counter(GatewayMetricNames.bytesRelayedTotal, up) == Int64(bytesUp))
        #expect(recorder.counter(GatewayMetricNames.bytesRelayedTotal, down) == Int64(bytesDown))
        #expect(recorder.counter(GatewayMetricNames.messagesRelayedTotal, up) == 4)
        #expect(recorder.counter(GatewayMetricNames.messagesRelayedTotal, down) == 4)
        #expect(recorder.counter(GatewayMetricNames.upgradesTotal, labels) == 1)
        #expect(recorder.counter(GatewayMetricNames.downstreamConnectionsTotal, [("listener", "main")]) == 1)
        #expect(await eventually { recorder.meter(GatewayMetricNames.downstreamConnectionsActive, [("listener", "main")]) == 0 })
        #expect(recorder.counter(GatewayMetricNames.drainClosesTotal, labels) == 0)
        #expect(recorder.counter(GatewayMetricNames.tunnelTimeoutsTotal, labels) == 0)
    }

    @Test func refusalsAreCountedByReason() async throws {
        let recorder = RecordingMetricsFactory()
        let harness = try await GatewayHarness.start(servers: 1, metrics: GatewayMetrics(factory: recorder)) {
            $0.listeners[0].routes = [RouteConfiguration(pathPrefix: "/ws", cluster: "app")]
        }
        defer { Task { await harness.stop() } }

        for _ in 0..<2 {
            let response = try await WebSocketTestClient.httpGet(port: harness.port, path: "/elsewhere")
            #expect(response.status == 404)
        }
        _ = await harness.gateway.setEndpointState(cluster: "app", endpoint: harness.endpointID(0), to: .maint)
        do {
            _ = try await harness.connect(path: "/ws")
            Issue.record("an endpoint in maintenance takes no new connection")
        } catch let error as WebSocketTestClientError {
            #expect(error.status == 503)
        }

        let refusals = recorder.counters(labelled: GatewayMetricNames.refusalsTotal)
        #expect(
            refusals == [
                .init(GatewayMetricNames.refusalsTotal, [("listener", "main"), ("reason", "no_route")]): 2,
                .init(GatewayMetricNames.refusalsTotal, [("listener", "main"), ("reason", "no_healthy_endpoint")]): 1,
            ]
        )
        #expect(recorder.counter(GatewayMetricNames.upgradesTotal, Self.endpointLabels(harness)) == 0)
    }

    @Test func drainClosesAreCountedAndTunnelsActiveReturnsToZero() async throws {
        let recorder = RecordingMetricsFactory()
        let harness = try await GatewayHarness.start(servers: 2, metrics: GatewayMetrics(factory: recorder)) {
            $0.clusters[0].policy = .roundRobin
            $0.clusters[0].drainWindow = .milliseconds(200)
        }
        defer { Task { await harness.stop() } }
        var clients: [WebSocketTestClient] = []
        for _ in 0..<4 { clients.append(try await harness.connect()) }
        let first = Self.endpointLabels(harness, 0)
        let second = Self.endpointLabels(harness, 1)
        #expect(recorder.counter(GatewayMetricNames.upgradesTotal, first) == 2)
        #expect(recorder.counter(GatewayMetricNames.upgradesTotal, second) == 2)
        #expect(await eventually { recorder.meter(GatewayMetricNames.tunnelsActive, first) == 2 && recorder.meter(GatewayMetricNames.tunnelsActive, second) == 2 })

        let change = await harness.gateway.setEndpointState(cluster: "app", endpoint: harness.endpointID(0), to: .drain)
        #expect(change == .changed(drainingTunnels: 2))
        let drained = clients.filter { GatewayHarness.serverName($0) == "s0" }
        for client in drained {
            #expect(try await client.receive(timeout: .seconds(5)) == .close(code: 1012, reason: "endpoint draining"))
            try await client.waitForClosure()  // the test client answers the close frame itself
        }
        #expect(await eventually { recorder.meter(GatewayMetricNames.tunnelsActive, first) == 0 })
        #expect(recorder.counter(GatewayMetricNames.drainClosesTotal, first) == 2)
        #expect(recorder.counter(GatewayMetricNames.drainClosesTotal, second) == 0)
        #expect(recorder.meter(GatewayMetricNames.tunnelsActive, second) == 2, "the other endpoint's tunnels stay")

        for client in clients where GatewayHarness.serverName(client) == "s1" {
            try await client.close()
            try await client.waitForClosure()
        }
        #expect(await eventually { recorder.meter(GatewayMetricNames.tunnelsActive, second) == 0 })
    }
}
