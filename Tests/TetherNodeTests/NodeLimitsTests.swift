import Testing
import TetherCore
import TetherProtocol

/// Bounded memory and liveness: slow consumers, leases, token expiry, command floods.
@Suite("Node limits and leases")
struct NodeLimitsTests {
    private func connect(_ client: NodeProtocolClient, user: String = "alice", token: String? = nil) async throws -> ConnectResult {
        var token = token
        if token == nil { token = try await NodeHarness.token(user: user) }
        return try ConnectResult(json: try await client.call(#"{"id":1,"op":"connect","token":"\#(token!)"}"#, id: 1).result())
    }

    private static let payload = RawJSON(unchecked: "\"" + String(repeating: "p", count: 8_000) + "\"")

    @Test("a subscriber that stops reading is disconnected once its queue is full; it then recovers everything from history")
    func slowConsumerDisconnected() async throws {
        let harness = try await NodeHarness.start {
            $0.limits.outboundQueueBytes = 65_536
            $0.namespaces["slow"]?.historySize = 5000
            // Paging hundreds of history replies back is far above a client's normal command rate.
            $0.limits.commandsPerSecond = 100_000
            $0.limits.commandBurst = 100_000
        }
        let token = try await NodeHarness.token(user: "slow")
        let stalled = try await StalledProtocolClient.connect(port: harness.port(0))
        try await stalled.send(#"{"id":1,"op":"connect","token":"\#(token)"}"#)
        try await stalled.send(#"{"id":2,"op":"subscribe","channel":"slow:s"}"#)
        try await waitUntil { harness.node(0).localSubscriberCount(channel: "slow:s") == 1 }
        let epoch = try await harness.node(0).publish(channel: "slow:s", data: RawJSON(unchecked: "0"), key: nil).position.epoch
        // Far more than kernel buffers plus the 64 KiB queue: the node must cut the client, not buffer it all.
        for _ in 0..<3000 {
            _ = try await harness.node(0).publish(channel: "slow:s", data: Self.payload, key: nil)
            if harness.node(0).connectionCount == 0 { break }
        }
        try await waitUntil(timeout: .seconds(15)) { harness.node(0).connectionCount == 0 }
        // Back with its position (offset 0 of that epoch): nothing is lost.
        let client = try await NodeProtocolClient.connect(port: harness.port(0))
        _ = try await self.connect(client, user: "slow")
        let top = try await harness.node(0).publish(channel: "slow:s", data: RawJSON(unchecked: "1"), key: nil).position.offset
        let recovered = try SubscribeResult(json: try await client.call(
            #"{"id":2,"op":"subscribe","channel":"slow:s","since":{"offset":0,"epoch":"\#(epoch)"}}"#, id: 2).result())
        #expect(recovered.recovered == true)
        // The reply carries what fits in one frame and says `more`; history pages through the rest.
        var offsets = recovered.publications?.map(\.offset) ?? []
        var more = recovered.more
        var id: UInt32 = 3
        while more {
            let page = try HistoryResult(json: try await client.call(
                #"{"id":\#(id),"op":"history","channel":"slow:s","since":{"offset":\#(offsets.last ?? 0),"epoch":"\#(epoch)"}}"#, id: id).result())
            offsets += page.publications.map(\.offset)
            more = page.more
            id += 1
        }
        #expect(recovered.more)
        #expect(offsets == Array(1...top))
        await stalled.close()
        await harness.stopAll()
    }

    @Test("with slow_consumer gap, what does not fit is dropped and announced with its exact range")
    func slowConsumerGap() async throws {
        let harness = try await NodeHarness.start {
            $0.limits.outboundQueueBytes = 65_536
            $0.namespaces["ticker"] = NamespaceOptions(historySize: 1000, slowConsumer: .gap)
        }
        let token = try await NodeHarness.token(user: "slow")
        let stalled = try await StalledProtocolClient.connect(port: harness.port(0))
        try await stalled.send(#"{"id":1,"op":"connect","token":"\#(token)"}"#)
        try await stalled.send(#"{"id":2,"op":"subscribe","channel":"ticker:t"}"#)
        try await waitUntil { harness.node(0).localSubscriberCount(channel: "ticker:t") == 1 }
        for _ in 0..<600 {
            _ = try await harness.node(0).publish(channel: "ticker:t", data: Self.payload, key: nil)
        }
        // Still connected: the policy drops instead of disconnecting, and memory stays bounded.
        #expect(harness.node(0).connectionCount == 1)
        #expect(stalled.isActive)
        await stalled.close()
        await harness.stopAll()
    }

    @Test("a node that vanishes leaves presence within the lease, and the others announce the leave")
    func presenceExpiresAfterNodeLoss() async throws {
        let harness = try await NodeHarness.start(nodes: 1)
        let partitioned = PartitionedEngine(harness.engine)
        let lost = try await harness.startNode(name: "n1", engine: partitioned)
        let watcher = try await NodeProtocolClient.connect(port: harness.port(0))
        _ = try await self.connect(watcher, user: "watcher")
        _ = try await watcher.call(#"{"id":2,"op":"subscribe","channel":"chat:p"}"#, id: 2).result()
        let goner = try await NodeProtocolClient.connect(port: harness.port(lost))
        let gonerConnect = try await self.connect(goner, user: "goner")
        _ = try await goner.call(#"{"id":2,"op":"subscribe","channel":"chat:p"}"#, id: 2).result()
        let join = try await watcher.push()
        #expect(join == .join(channel: "chat:p", info: ClientInfo(client: gonerConnect.client, user: "goner")))
        let before = try PresenceResult(json: try await watcher.call(#"{"id":3,"op":"presence","channel":"chat:p"}"#, id: 3).result())
        #expect(Set(before.clients.map(\.user)) == ["watcher", "goner"])

        partitioned.partition()
        let start = ContinuousClock.now
        let leave = try await watcher.push(timeout: .seconds(10))
        let took = ContinuousClock.now - start
        #expect(leave == .leave(channel: "chat:p", info: ClientInfo(client: gonerConnect.client, user: "goner")))
        #expect(took < .seconds(6), "lease is 2 s; the leave came after \(took)")
        let after = try PresenceResult(json: try await watcher.call(#"{"id":4,"op":"presence","channel":"chat:p"}"#, id: 4).result())
        #expect(after.clients.map(\.user) == ["watcher"])
        await harness.stop(0)
    }

    @Test("an expired token closes the connection with 3004 unless refreshed in time")
    func tokenExpiry() async throws {
        let harness = try await NodeHarness.start { $0.auth.leeway = .zero }
        let now = SystemEngineClock().now() / 1000
        let refreshed = try await NodeProtocolClient.connect(port: harness.port(0))
        let connect = try await self.connect(refreshed, token: try await NodeHarness.token(user: "alice", expiresAt: now + 2))
        #expect(connect.expiresAt == (now + 2) * 1000)
        let fresh = try await NodeHarness.token(user: "alice", expiresAt: now + 3600)
        let refresh = try RefreshResult(json: try await refreshed.call(#"{"id":2,"op":"refresh","token":"\#(fresh)"}"#, id: 2).result())
        #expect(refresh.expiresAt == (now + 3600) * 1000)
        let stranger = try await NodeHarness.token(user: "mallory")
        #expect(try await refreshed.call(#"{"id":3,"op":"refresh","token":"\#(stranger)"}"#, id: 3).error().code == .permissionDenied)

        let lapsed = try await NodeProtocolClient.connect(port: harness.port(0))
        _ = try await self.connect(lapsed, token: try await NodeHarness.token(user: "bob", expiresAt: now + 2))
        guard case .disconnect(let code, _, let reconnect, _) = try await lapsed.push(timeout: .seconds(6)) else {
            throw TestFailure("expected a disconnect push")
        }
        #expect(code == 3004)
        #expect(reconnect)
        // The refreshed connection outlived its first token.
        _ = try await refreshed.call(#"{"id":4,"op":"ping"}"#, id: 4).result()
        await harness.stopAll()
    }

    @Test("a command flood gets error 110, then close 3006")
    func commandFlood() async throws {
        let harness = try await NodeHarness.start {
            $0.limits.commandsPerSecond = 5
            $0.limits.commandBurst = 5
        }
        let client = try await NodeProtocolClient.connect(port: harness.port(0))
        _ = try await self.connect(client)
        let batch = (2..<40).map { #"{"id":\#($0),"op":"ping"}"# }.joined(separator: "\n")
        try await client.send(batch)
        var refused = 0
        var closeCode: UInt16?
        do {
            for id in 2..<40 {
                let reply = try await client.call("", id: UInt32(id), sendFirst: false)
                if case .error(_, let error) = reply, error.code == .tooManyRequests { refused += 1 }
            }
        } catch {
            closeCode = try? await client.closeCode()
        }
        #expect(refused > 0)
        #expect(closeCode == 3006)
        await harness.stopAll()
    }
}
