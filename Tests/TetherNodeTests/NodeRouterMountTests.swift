import Hummingbird
import HummingbirdWebSocket
import Logging
import ServiceLifecycle
import Testing
import TetherCore
import TetherProtocol
import TetherServer

/// The node mounted on an application's own Hummingbird WebSocket router (`addTetherNode`), next to the
/// application's other WebSocket routes: the same protocol as the fast path.
@Suite("Node on a WebSocket router")
struct NodeRouterMountTests {
    @Test("connect, subscribe and receive a publication through addTetherNode")
    func roundTrip() async throws {
        var logger = Logger(label: "test.router-mount")
        logger.logLevel = .warning
        let node = try await TetherNode(configuration: NodeHarness.defaultConfiguration(name: "mounted"), engine: MemoryEngine(), logger: logger)
        let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
        webSocketRouter.addTetherNode(node)
        webSocketRouter.ws("/echo") { _, _ in .upgrade([:]) } onUpgrade: { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: 1024) {
                if case .text(let text) = message { try await outbound.write(.text(text)) }
            }
        }
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: Router(),
            server: .http1WebSocketUpgrade(webSocketRouter: webSocketRouter),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app, node], logger: logger))
        let task = Task { try await group.run() }
        var port = 0
        for await value in ports { port = value }

        let client = try await NodeProtocolClient.connect(port: port)
        let token = try await NodeHarness.token(user: "alice")
        _ = try await client.call(#"{"id":1,"op":"connect","token":"\#(token)"}"#, id: 1).result()
        _ = try await client.call(#"{"id":2,"op":"subscribe","channel":"feed:m"}"#, id: 2).result()
        let published = try await node.publish(channel: "feed:m", data: RawJSON(unchecked: #"{"x":1}"#), key: nil)
        guard case .pub(let channel, _, let publication) = try await client.push() else { throw TestFailure("expected pub") }
        #expect(channel == "feed:m")
        #expect(publication.offset == published.position.offset)
        #expect(publication.data.text == #"{"x":1}"#)

        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}
