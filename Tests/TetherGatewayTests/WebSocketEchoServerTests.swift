import NIOCore
import NIOPosix
import NIOWebSocket
import Testing
import TetherTesting

/// Live tests: ``WebSocketTestClient`` against ``WebSocketEchoServer`` on a loopback port chosen by the kernel.
@Suite struct WebSocketEchoServerTests {
    /// Runs `body` against a started server and always stops it.
    private func withServer<T>(
        _ configuration: WebSocketEchoServer.Configuration = .init(),
        _ body: (WebSocketEchoServer) async throws -> T
    ) async throws -> T {
        let server = WebSocketEchoServer(configuration: configuration)
        try await server.start()
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Polls `condition` every 10 ms for at most 5 s (for counters updated on another thread).
    private func eventually(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<500 {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test func echoesTextAndBinaryWithTheSameOpcode() async throws {
        try await self.withServer { server in
            #expect(server.localPort != 0)
            let client = try await WebSocketTestClient.connect(port: server.localPort, path: "/chat")
            #expect(client.status == 101)
            try await client.send(text: "hello")
            try await client.send(binary: [0, 1, 2, 255])
            let big = [UInt8](repeating: 7, count: 200_000)
            try await client.send(binary: big)
            #expect(try await client.receive() == .text("hello"))
            #expect(try await client.receive() == .binary([0, 1, 2, 255]))
            #expect(try await client.receive() == .binary(big))
            await client.abort()
        }
    }

    @Test func aggregatesFragmentsAndAnswersPingsBetweenThem() async throws {
        try await self.withServer { server in
            let client = try await WebSocketTestClient.connect(port: server.localPort)
            try await client.sendFrame(opcode: .text, payload: Array("hel".utf8), fin: false)
            try await client.sendPing([9, 9])
            try await client.sendFrame(opcode: .continuation, payload: Array("lo ".utf8), fin: false)
            try await client.sendFrame(opcode: .continuation, payload: Array("world".utf8), fin: true)
            #expect(try await client.receive() == .pong([9, 9]))
            #expect(try await client.receive() == .text("hello world"))
            await client.abort()
        }
    }

    @Test func closeHandshakeEchoesTheCodeAndServerClosesTCP() async throws {
        try await self.withServer { server in
            let client = try await WebSocketTestClient.connect(port: server.localPort)
            try await client.close(code: 4001, reason: "bye")
            #expect(try await client.receive() == .close(code: 4001, reason: ""))
            try await client.waitForClosure()
            #expect(!client.isActive)
            await #expect(throws: WebSocketTestClientError.self) { try await client.receive() }

            let empty = try await WebSocketTestClient.connect(port: server.localPort)
            try await empty.close(code: nil)
            #expect(try await empty.receive() == .close(code: nil, reason: ""))
            try await empty.waitForClosure()
        }
    }

    @Test(arguments: [UInt16(1005), 1006, 999, 2000])
    func closeWithAReservedCodeGets1002(code: UInt16) async throws {
        try await self.withServer { server in
            let client = try await WebSocketTestClient.connect(port: server.localPort)
            try await client.close(code: code)
            #expect(try await client.receive() == .close(code: 1002, reason: ""))
            try await client.waitForClosure()
        }
    }

    @Test func protocolViolationsGet1002() async throws {
        try await self.withServer { server in
            let unmasked = try await WebSocketTestClient.connect(port: server.localPort)
            try await unmasked.sendFrame(opcode: .text, payload: Array("x".utf8), masked: false)
            #expect(try await unmasked.receive() == .close(code: 1002, reason: ""))
            try await unmasked.waitForClosure()

            let strayContinuation = try await WebSocketTestClient.connect(port: server.localPort)
            try await strayContinuation.sendFrame(opcode: .continuation, payload: [1])
            #expect(try await strayContinuation.receive() == .close(code: 1002, reason: ""))

            let reservedBit = try await WebSocketTestClient.connect(port: server.localPort)
            try await reservedBit.sendFrame(opcode: .binary, payload: [1], rsv1: true)
            #expect(try await reservedBit.receive() == .close(code: 1002, reason: ""))

            // A fragmented ping (FIN clear on a control frame), written as raw bytes: 0x09 opcode, masked, 0 length.
            let fragmentedPing = try await WebSocketTestClient.connect(port: server.localPort)
            try await fragmentedPing.sendRaw([0x09, 0x80, 1, 2, 3, 4])
            #expect(try await fragmentedPing.receive() == .close(code: 1002, reason: ""))
            try await fragmentedPing.waitForClosure()
        }
    }

    @Test func oversizedFrameOrMessageGets1009() async throws {
        try await self.withServer(.init(maxMessageSize: 1024)) { server in
            let oneFrame = try await WebSocketTestClient.connect(port: server.localPort)
            try await oneFrame.send(binary: [UInt8](repeating: 1, count: 1025))
            #expect(try await oneFrame.receive() == .close(code: 1009, reason: ""))
            try await oneFrame.waitForClosure()

            let fragments = try await WebSocketTestClient.connect(port: server.localPort)
            try await fragments.sendFrame(opcode: .binary, payload: [UInt8](repeating: 1, count: 1000), fin: false)
            try await fragments.sendFrame(opcode: .continuation, payload: [UInt8](repeating: 1, count: 100), fin: true)
            #expect(try await fragments.receive() == .close(code: 1009, reason: ""))
            try await fragments.waitForClosure()

            let exact = try await WebSocketTestClient.connect(port: server.localPort)
            try await exact.send(binary: [UInt8](repeating: 2, count: 1024))
            #expect(try await exact.receive() == .binary([UInt8](repeating: 2, count: 1024)))
            await exact.abort()
        }
    }

    @Test func healthAnswers200Or503AsToggled() async throws {
        try await self.withServer(.init(name: "alpha")) { server in
            let up = try await WebSocketTestClient.httpGet(port: server.localPort, path: "/health")
            #expect(up.status == 200)
            #expect(up.body == "ok")

            server.healthy = false
            let down = try await WebSocketTestClient.httpGet(port: server.localPort, path: "/health")
            #expect(down.status == 503)

            server.healthy = true
            #expect(try await WebSocketTestClient.httpGet(port: server.localPort, path: "/health").status == 200)

            let other = try await WebSocketTestClient.httpGet(port: server.localPort, path: "/some/where?x=1")
            #expect(other.status == 200)
            #expect(other.body == "alpha /some/where?x=1")
        }
    }

    @Test func plainHTTPKeepsTheConnectionAlive() async throws {
        try await self.withServer(.init(name: "alpha")) { server in
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: server.localPort) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            let received = try await channel.executeThenClose { inbound, outbound in
                let request = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"
                try await outbound.write(ByteBuffer(string: request))
                var text = ""
                for try await chunk in inbound {
                    text += String(buffer: chunk)
                    if text.contains("alpha /b") { break }
                }
                return text
            }
            #expect(received.contains("alpha /a"))
            #expect(received.contains("alpha /b"))
            #expect(!received.lowercased().contains("connection: close"))
        }
    }

    @Test func upgradeResponseNamesTheServerAndEchoesTheSubprotocol() async throws {
        try await self.withServer(.init(name: "beta")) { server in
            let client = try await WebSocketTestClient.connect(
                port: server.localPort,
                path: "/room?id=7",
                headers: [("X-Forwarded-For", "203.0.113.9"), ("Sec-WebSocket-Protocol", "chat.v2, chat.v1")]
            )
            #expect(client.responseHeader("x-echo-server") == "beta")
            #expect(client.responseHeader("Sec-WebSocket-Protocol") == "chat.v2")
            #expect(server.lastUpgradeHeader("x-forwarded-for") == "203.0.113.9")
            #expect(server.lastUpgradeURI == "/room?id=7")
            #expect(server.upgradeCount == 1)
            #expect(try await self.eventually { server.webSocketConnectionCount == 1 })
            #expect(server.connectionCount == 1)
            await client.abort()
            #expect(try await self.eventually { server.connectionCount == 0 && server.webSocketConnectionCount == 0 })
        }
    }

    @Test func rejectedUpgradeCarriesStatusAndBody() async throws {
        try await self.withServer(.init(name: "gamma")) { server in
            // NIO's upgrader refuses an unsupported version, so the request is served as plain HTTP.
            let error = await #expect(throws: WebSocketTestClientError.self) {
                _ = try await WebSocketTestClient.connect(
                    port: server.localPort,
                    path: "/nope",
                    headers: [("Sec-WebSocket-Version", "8")]
                )
            }
            #expect(error?.code == .upgradeRejected)
            #expect(error?.status == 200)
            #expect(error?.body == "gamma /nope")
        }
    }

    @Test func receiveTimesOutAndStopClosesConnections() async throws {
        let server = WebSocketEchoServer()
        try await server.start()
        let client = try await WebSocketTestClient.connect(port: server.localPort)
        let error = await #expect(throws: WebSocketTestClientError.self) {
            _ = try await client.receive(timeout: .milliseconds(50))
        }
        #expect(error?.code == .timeout)
        await server.stop()
        try await client.waitForClosure()
        await #expect(throws: (any Error).self) {
            _ = try await WebSocketTestClient.connect(port: server.localPort == 0 ? 1 : server.localPort)
        }
    }
}
