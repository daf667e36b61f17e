// An application that embeds a Tether node in its own Hummingbird server: its own routes next to the
// node's WebSocket endpoint and server API, and its own subscribe authorizer.
//
//   swift run tether-embedded-example            # then connect to ws://127.0.0.1:8090/connection/websocket
import Hummingbird
import Logging
import ServiceLifecycle
import TetherCore
import TetherServer

@main
struct EmbeddedNode {
    static func main() async throws {
        let logger = Logger(label: "example")
        var configuration = NodeConfiguration(
            name: "embedded-1",
            namespaces: [
                // Rooms: the application decides who may join (the authorizer below).
                "room": NamespaceOptions(historySize: 50, presence: true, joinLeave: true, allowPublish: true, subscribe: .authorizer),
            ],
            auth: AuthConfiguration(keys: [TokenKey(algorithm: .hs256, material: "example-secret-example-secret-123456")]),
            apiKeys: ["example-api-key-0123456789"]
        )
        configuration.sessionTTL = .seconds(300)

        // Your own rule, called once per subscribe: here, members of a room are listed in your database.
        let members = ["room:lobby": Set(["alice", "bob"])]
        let node = try await TetherNode(
            configuration: configuration,
            engine: MemoryEngine(),
            authorizer: { user, channel, _ in members[channel]?.contains(user) ?? false },
            logger: logger
        )

        // Your application's routes, plus the node's server API under /api.
        let router = Router(context: BasicRequestContext.self)
        router.get("/hello") { _, _ in "hello from the app" }
        router.post("/rooms/:room/announce") { request, context -> String in
            let room = context.parameters.get("room") ?? "lobby"
            let text = try await String(buffer: request.body.collect(upTo: 4096))
            let result = try await node.publish(channel: "room:\(room)", data: .init(validating: "{\"announce\":\(text.debugDescription)}"), key: nil)
            return "published at offset \(result.position.offset)"
        }
        router.addTetherAPI(node)

        // The node's WebSocket endpoint: `.tetherNode` serves upgrades at the path on the node's own SwiftNIO
        // handlers (no task per idle connection) and every other request with your router. An app that
        // already has its own WebSocket routes can instead mount `addTetherNode(node)` on its WebSocket
        // router (Hummingbird's WebSocket handling; simpler to combine, heavier per connection).
        let app = Application(
            router: router,
            server: .tetherNode(node, path: "/connection/websocket"),
            configuration: .init(address: .hostname("127.0.0.1", port: 8090)),
            logger: logger
        )
        // The node is a Service: it runs its maintenance and drains clients on shutdown.
        let group = ServiceGroup(configuration: .init(services: [app, node], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
