import Testing
import TetherCore
import TetherGateway
import TetherGatewayCore
import TetherProtocol

/// Session mode over real sockets: a gateway in front of real nodes on one engine, raw protocol clients that
/// must never see their connection close while the session moves between nodes.
@Suite("Session mode (gateway + nodes)")
struct SessionModeLiveTests {
    private func publish(_ nodes: NodeHarness, via node: Int, channel: String, _ range: ClosedRange<Int>, pause: Duration = .milliseconds(2)) async throws {
        for n in range {
            _ = try await nodes.node(node).publish(channel: channel, data: RawJSON(unchecked: #"{"n":\#(n)}"#), key: nil)
            if pause > .zero { try await Task.sleep(for: pause) }
        }
    }

    @Test("a node that stops re-binds the session to another: no close, every publication once, in order")
    func nodeStops() async throws {
        let nodes = try await NodeHarness.start(nodes: 2)
        let gateway = try await SessionModeHarness.start(nodes: nodes, endpoints: [0, 1])
        let client = try await gateway.client(user: "alice", channels: ["feed:a"])
        let bound = await gateway.gateway.sessionCount(endpoint: gateway.endpointID(0)) == 1 ? 0 : 1
        let other = 1 - bound
        let publisher = Task { try await self.publish(nodes, via: other, channel: "feed:a", 1...200) }
        try await Task.sleep(for: .milliseconds(100))
        await nodes.stop(bound)
        try await publisher.value
        let offsets = try await SessionModeHarness.offsets(from: client, channel: "feed:a", through: 200)
        #expect(offsets == Array(1...200))
        // The stopping node may deliver everything before it tells the session to go: wait for the move.
        let deadline = ContinuousClock.now + .seconds(5)
        while await gateway.gateway.sessionCount(endpoint: gateway.endpointID(other)) == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(await gateway.gateway.sessionCount(endpoint: gateway.endpointID(other)) == 1)
        // The session still works on its new node: a command round trip through the gateway.
        let reply = try await client.call(#"{"id":40,"op":"history","channel":"feed:a","limit":1}"#, id: 40)
        #expect((try? reply.result()) != nil)
        await gateway.stop()
        await nodes.stopAll()
    }

    @Test("a node that hangs (its socket open, nothing answered) is left after the keep-alive timeout; the session moves")
    func hungNode() async throws {
        let nodes = try await NodeHarness.start(nodes: 2)
        let proxy = try await FreezableProxy.start(targetPort: nodes.port(0))
        var configuration = SessionModeHarness.configuration(nodes: nodes, endpoints: [0, 1])
        configuration.clusters[0].endpoints = [
            EndpointConfiguration(address: HostAndPort(host: "127.0.0.1", port: proxy.port)),
            EndpointConfiguration(address: HostAndPort(host: "127.0.0.1", port: nodes.port(1)), state: .maint),
        ]
        configuration.clusters[0].keepAlive = KeepAliveConfiguration(interval: .milliseconds(200), timeout: .milliseconds(300))
        let gateway = try await SessionModeHarness.start(nodes: nodes, endpoints: []) { $0 = configuration }
        let client = try await gateway.client(user: "alice", channels: ["feed:h"])
        try await self.publish(nodes, via: 1, channel: "feed:h", 1...5, pause: .zero)
        #expect(try await SessionModeHarness.offsets(from: client, channel: "feed:h", through: 5) == Array(1...5))
        _ = await gateway.gateway.setEndpointState(cluster: "nodes", endpoint: "127.0.0.1:\(nodes.port(1))", to: .ready)
        proxy.freeze()
        try await self.publish(nodes, via: 1, channel: "feed:h", 6...10, pause: .zero)
        // The publications made while the node hung arrive once the session has moved to node 1.
        #expect(try await SessionModeHarness.offsets(from: client, channel: "feed:h", through: 10) == Array(6...10))
        #expect(await gateway.gateway.sessionCount(endpoint: "127.0.0.1:\(nodes.port(1))") == 1)
        await gateway.stop()
        await proxy.stop()
        await nodes.stopAll()
    }

    @Test("publishes in flight when the node stops are re-sent with the gateway's idempotency key: each applied once, each answered")
    func publishesInFlight() async throws {
        let nodes = try await NodeHarness.start(nodes: 2)
        let gateway = try await SessionModeHarness.start(nodes: nodes, endpoints: [0, 1])
        let client = try await gateway.client(user: "alice", channels: [])
        let bound = await gateway.gateway.sessionCount(endpoint: gateway.endpointID(0)) == 1 ? 0 : 1
        let ids = UInt32(100)...UInt32(159)
        let sender = Task {
            for id in ids {
                try await client.send(#"{"id":\#(id),"op":"publish","channel":"chat:inflight","data":{"n":\#(id)}}"#)
                if id == 120 { await nodes.stop(bound) }
            }
        }
        try await sender.value
        var offsets: [UInt64] = []
        for id in ids {
            let reply = try await client.call("", id: id, sendFirst: false)
            offsets.append(try PublishResult(json: try reply.result()).position.offset)
        }
        #expect(Set(offsets).count == ids.count)
        #expect(offsets.max() == UInt64(ids.count))  // nothing applied twice: offsets 1...60 exactly
        await gateway.stop()
        await nodes.stopAll()
    }

    @Test("draining an endpoint migrates its sessions without a close or a lost publication")
    func drainMigrates() async throws {
        let nodes = try await NodeHarness.start(nodes: 2)
        let gateway = try await SessionModeHarness.start(nodes: nodes, endpoints: [0, 1])
        var clients: [NodeProtocolClient] = []
        for index in 0..<8 {
            clients.append(try await gateway.client(user: "u\(index)", channels: ["drain-d"]))
        }
        let onFirst = await gateway.gateway.sessionCount(endpoint: gateway.endpointID(0))
        #expect(onFirst > 0)
        let publisher = Task { try await self.publish(nodes, via: 1, channel: "drain-d", 1...300) }
        try await Task.sleep(for: .milliseconds(100))
        let change = await gateway.gateway.setEndpointState(cluster: "nodes", endpoint: gateway.endpointID(0), to: .drain)
        #expect(change == .changed(drainingTunnels: onFirst))
        try await publisher.value
        for client in clients {
            let offsets = try await SessionModeHarness.offsets(from: client, channel: "drain-d", through: 300)
            #expect(offsets == Array(1...300))
        }
        #expect(await gateway.gateway.sessionCount(endpoint: gateway.endpointID(0)) == 0)
        #expect(await gateway.gateway.sessionCount(endpoint: gateway.endpointID(1)) == 8)
        await gateway.stop()
        await nodes.stopAll()
    }

    @Test("a drain that finds nowhere to go leaves the session where it is and moves it once an endpoint is back")
    func drainWaitsForAnEndpoint() async throws {
        let nodes = try await NodeHarness.start(nodes: 2)
        var configuration = SessionModeHarness.configuration(nodes: nodes, endpoints: [0, 1])
        configuration.clusters[0].endpoints[1].state = .maint
        let gateway = try await SessionModeHarness.start(nodes: nodes, endpoints: []) { $0 = configuration }
        let client = try await gateway.client(user: "alice", channels: ["feed:w"])
        let first = gateway.endpointID(0)
        _ = await gateway.gateway.setEndpointState(cluster: "nodes", endpoint: first, to: .drain)
        try await Task.sleep(for: .milliseconds(300))
        #expect(await gateway.gateway.sessionCount(endpoint: first) == 1, "nowhere to go: it stays, still served")
        try await self.publish(nodes, via: 1, channel: "feed:w", 1...3, pause: .zero)
        #expect(try await SessionModeHarness.offsets(from: client, channel: "feed:w", through: 3) == Array(1...3))
        _ = await gateway.gateway.setEndpointState(cluster: "nodes", endpoint: gateway.endpointID(1), to: .ready)
        let deadline = ContinuousClock.now + .seconds(10)
        while await gateway.gateway.sessionCount(endpoint: first) > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(await gateway.gateway.sessionCount(endpoint: gateway.endpointID(1)) == 1)
        try await self.publish(nodes, via: 1, channel: "feed:w", 4...6, pause: .zero)
        #expect(try await SessionModeHarness.offsets(from: client, channel: "feed:w", through: 6) == Array(4...6))
        await gateway.stop()
        await nodes.stopAll()
    }

    @Test("an endpoint added by a reload takes its share of sessions when rebalance is on")
    func rebalanceAfterScaleOut() async throws {
        let nodes = try await NodeHarness.start(nodes: 2)
        let gateway = try await SessionModeHarness.start(nodes: nodes, endpoints: [0]) { configuration in
            configuration.clusters[0].session.rebalance = true
        }
        var clients: [NodeProtocolClient] = []
        for index in 0..<10 {
            clients.append(try await gateway.client(user: "u\(index)", channels: ["feed:r"]))
        }
        var next = SessionModeHarness.configuration(nodes: nodes, endpoints: [0, 1])
        next.clusters[0].session.rebalance = true
        try await gateway.gateway.apply(next)
        let deadline = ContinuousClock.now + .seconds(8)
        while await gateway.gateway.sessionCount(endpoint: gateway.endpointID(1)) < 5, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(await gateway.gateway.sessionCount(endpoint: gateway.endpointID(1)) == 5)
        #expect(await gateway.gateway.sessionCount(endpoint: gateway.endpointID(0)) == 5)
        try await self.publish(nodes, via: 0, channel: "feed:r", 1...20, pause: .zero)
        for client in clients {
            #expect(try await SessionModeHarness.offsets(from: client, channel: "feed:r", through: 20) == Array(1...20))
        }
        await gateway.stop()
        await nodes.stopAll()
    }

    @Test("with no endpoint left, the client is closed with a reconnect code after the re-bind timeout")
    func noEndpointLeft() async throws {
        let nodes = try await NodeHarness.start(nodes: 1)
        let gateway = try await SessionModeHarness.start(nodes: nodes, endpoints: [0]) { configuration in
            configuration.clusters[0].session.rebindTimeout = .milliseconds(500)
        }
        let client = try await gateway.client(user: "alice", channels: ["feed:x"])
        await nodes.stop(0)
        let code = try await client.closeCode()
        #expect(code == DisconnectCode.tryAgainLater.code)
        await gateway.stop()
    }

    @Test("a sticky-cookie cluster issues its cookie on the gateway's own 101")
    func stickyCookie() async throws {
        let nodes = try await NodeHarness.start(nodes: 1)
        let gateway = try await SessionModeHarness.start(nodes: nodes, endpoints: [0]) { configuration in
            configuration.clusters[0].policy = .stickyCookie(StickyCookieConfiguration(secret: "session-sticky-secret-0123456789abcdef"))
        }
        let client = try await gateway.client(user: "alice", channels: [])
        #expect(client.socket.responseHeader("Set-Cookie")?.hasPrefix("tether_sticky=") == true)
        await gateway.stop()
        await nodes.stopAll()
    }

    @Test("gateway shutdown closes session clients with 1001 (they resume through another gateway)")
    func gatewayShutdown() async throws {
        let nodes = try await NodeHarness.start(nodes: 1)
        let gateway = try await SessionModeHarness.start(nodes: nodes, endpoints: [0])
        let client = try await gateway.client(user: "alice", channels: ["feed:s"])
        let stopping = Task { await gateway.stop() }
        #expect(try await client.closeCode() == 1001)
        await stopping.value
        await nodes.stopAll()
    }
}
