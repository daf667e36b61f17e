import Logging
import NIOHTTP1
import Testing
import TetherProtocol
import TetherTesting

@testable import TetherCommand

/// `tether demo`'s stack, live on loopback: a raw protocol client goes through the gateway, loses its node
/// to a crash, resumes through the gateway on another node, and sees every tick exactly once.
@Suite("tether demo stack")
struct DemoStackTests {
    private static var logger: Logger {
        var logger = Logger(label: "test.demo")
        logger.logLevel = .warning
        return logger
    }

    /// Tick seqs and offsets as a conforming client sees them: duplicates dropped by offset.
    private struct Received {
        var epoch = ""
        var position: UInt64 = 0
        var seqs: [Int] = []
        var offsets: [UInt64] = []
        var droppedByOffset = 0

        mutating func take(_ publication: Publication, epoch: String) throws {
            if epoch == self.epoch, publication.offset <= self.position {
                self.droppedByOffset += 1
                return
            }
            guard epoch == self.epoch else { throw DemoTestFailure("epoch changed from \(self.epoch) to \(epoch)") }
            guard let seq = try publication.data.parsed()["seq"]?.intValue else {
                throw DemoTestFailure("tick without seq: \(publication.data)")
            }
            self.position = publication.offset
            self.seqs.append(seq)
            self.offsets.append(publication.offset)
        }
    }

    private static func ticker(_ result: ConnectResult) throws -> SubscribeResult {
        guard let sub = result.subs.first(where: { $0.channel == DemoTicker.channel }) else {
            throw DemoTestFailure("connect result without \(DemoTicker.channel): \(result)")
        }
        return sub
    }

    /// Reads `pub` pushes for the ticker until `count` more ticks were taken.
    private static func receiveTicks(_ client: DemoProtocolClient, into received: inout Received, count: Int) async throws {
        let target = received.seqs.count + count
        while received.seqs.count < target {
            if case .pub(let channel, let epoch, let publication) = try await client.push(), channel == DemoTicker.channel {
                try received.take(publication, epoch: epoch)
            }
        }
    }

    @Test("killing the node a client is on: it resumes through the gateway elsewhere, nothing lost or duplicated")
    func killAndResume() async throws {
        let stack = try await DemoStack.start(.init(port: 0, adminPort: 0, nodes: 3, rate: 40, policy: .roundRobin), logger: Self.logger)
        do {
            // The page and the control API are served through the gateway.
            let page = try await WebSocketTestClient.httpGet(port: stack.port, path: "/")
            #expect(page.status == 200)
            #expect(page.body.contains("lost: 0, duplicated: 0"))
            #expect(page.body.contains("/connection/websocket"))
            let state = try await WebSocketTestClient.httpGet(port: stack.port, path: "/demo/state")
            #expect(state.status == 200)
            #expect(state.body.contains(#""name":"node-3""#))

            let first = try await DemoProtocolClient.connect(port: stack.port)
            let connected = try ConnectResult(json: try await first.call(
                #"{"id":1,"op":"connect","version":1,"subs":{"demo:ticker":{},"demo:chat":{}}}"#, id: 1
            ).demoResult())
            #expect(connected.resumed == false)
            let subscribed = try Self.ticker(connected)
            var received = Received(epoch: subscribed.position.epoch, position: subscribed.position.offset)
            try await Self.receiveTicks(first, into: &received, count: 10)

            // Crash the node this client is on, through the control API (the gateway routes it).
            guard let index = Int(connected.node.dropFirst("node-".count)) else { throw DemoTestFailure("node \(connected.node)") }
            let kill = try await WebSocketTestClient.httpGet(port: stack.port, path: "/demo/nodes/\(index)/kill", method: .POST)
            #expect(kill.status == 200, "\(kill.body)")
            let closeCode = try await first.waitForEnd()
            #expect(closeCode == nil, "a crashed node sends no close frame; got \(closeCode.map(String.init) ?? "-")")
            #expect(stack.nodes[index - 1].phase == .killed)

            // Ticks go on while the client is away, so the resume has something to replay.
            let lastSeen = received.seqs.last ?? 0
            let deadline = ContinuousClock.now + .seconds(10)
            while stack.ticker.lastSeq < lastSeen + 10, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(stack.ticker.lastSeq >= lastSeen + 10)

            // Reconnect through the gateway with the session and the position, as section 7 says.
            let second = try await DemoProtocolClient.connect(port: stack.port)
            let resumed = try ConnectResult(json: try await second.call(
                #"{"id":1,"op":"connect","version":1,"session":"\#(connected.session)","subs":{"demo:ticker":{"since":{"offset":\#(received.position),"epoch":"\#(received.epoch)"}}}}"#,
                id: 1
            ).demoResult())
            #expect(resumed.resumed == true)
            #expect(resumed.session == connected.session)
            #expect(resumed.node != connected.node)
            let recovered = try Self.ticker(resumed)
            #expect(recovered.recovered == true)
            #expect(recovered.missing == nil)
            let replayed = recovered.publications ?? []
            #expect(replayed.count >= 10)
            for publication in replayed { try received.take(publication, epoch: recovered.position.epoch) }
            try await Self.receiveTicks(second, into: &received, count: 10)

            // Every seq from the first received on, once each, in order; offsets with no holes.
            let seqs = received.seqs
            #expect(seqs == Array(seqs[0]...seqs[seqs.count - 1]), "lost or duplicated ticks: \(seqs)")
            let offsets = received.offsets
            #expect(offsets == Array(offsets[0]...offsets[offsets.count - 1]))
            #expect(seqs.count >= 30)

            // The killed node comes back on the same gateway endpoint.
            try await stack.restart(index)
            #expect(stack.nodes[index - 1].phase == .running)
            try await second.socket.close()
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    @Test("draining a node through the gateway closes its clients with 1012 and they land on another node")
    func drain() async throws {
        let stack = try await DemoStack.start(.init(port: 0, adminPort: 0, nodes: 2, rate: 20, policy: .leastConnections), logger: Self.logger)
        do {
            let client = try await DemoProtocolClient.connect(port: stack.port)
            let connected = try ConnectResult(json: try await client.call(
                #"{"id":1,"op":"connect","subs":{"demo:ticker":{}}}"#, id: 1
            ).demoResult())
            guard let index = Int(connected.node.dropFirst("node-".count)) else { throw DemoTestFailure("node \(connected.node)") }
            let draining = try await stack.drain(index)
            #expect(draining == 1)
            #expect(try await client.waitForEnd() == 1012)
            let again = try await DemoProtocolClient.connect(port: stack.port)
            let moved = try ConnectResult(json: try await again.call(
                #"{"id":1,"op":"connect","session":"\#(connected.session)"}"#, id: 1
            ).demoResult())
            #expect(moved.node != connected.node)
            #expect(moved.resumed == true)
            try await again.socket.close()
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }
}
