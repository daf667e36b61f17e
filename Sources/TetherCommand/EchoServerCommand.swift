import ArgumentParser
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import TetherTesting

/// `tether echo-server`: a conformant WebSocket echo server, the upstream for demos, tests and benchmarks.
struct EchoServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server",
        abstract: "Run a WebSocket echo server (echoes messages, answers pings, GET /health).",
        discussion: """
            Every WebSocket path echoes text and binary messages with the same opcode, answers pings and \
            completes the close handshake (echoing the close code). Plain HTTP: GET /health answers 200 "ok"; \
            any other request answers 200 "<name> <path>". Runs until SIGINT or SIGTERM.
            """
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one; the banner shows it).")
    var port = 9001

    @Option(help: "Server name, sent in the X-Echo-Server header of every 101 and in plain HTTP bodies.")
    var name = "echo"

    @Option(help: "Largest message (and frame) accepted, in bytes; larger ones are closed with 1009.")
    var maxMessageSize = 16 << 20

    @Option(help: "Event-loop threads; 0 = one per core (the cgroup/cpuset count, not the taskset affinity).")
    var threads = 0

    func validate() throws {
        guard (0...256).contains(self.threads) else { throw ValidationError("--threads must be 0...256") }
        guard (0...65535).contains(self.port) else { throw ValidationError("--port must be 0...65535") }
        guard self.maxMessageSize > 0, self.maxMessageSize <= Int(UInt32.max) else {
            throw ValidationError("--max-message-size must be 1...\(UInt32.max)")
        }
    }

    func run() async throws {
        let ownGroup = self.threads > 0 ? MultiThreadedEventLoopGroup(numberOfThreads: self.threads) : nil
        let server = WebSocketEchoServer(
            configuration: .init(host: self.host, port: self.port, name: self.name, maxMessageSize: self.maxMessageSize),
            group: ownGroup ?? MultiThreadedEventLoopGroup.singleton
        )
        try await server.start()
        // Unbuffered, so scripts reading a redirected stdout see the banner (and the chosen port) at once.
        FileHandle.standardOutput.write(Data("echo-server \(self.name) listening on ws://\(self.host):\(server.localPort)/\n".utf8))
        var logger = Logger(label: "tether.echo-server")
        logger.logLevel = .warning
        let group = ServiceGroup(
            configuration: .init(
                services: [EchoServerService(server: server)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            try? await ownGroup?.shutdownGracefully()
            throw error
        }
        try? await ownGroup?.shutdownGracefully()
    }
}

/// Keeps a started ``WebSocketEchoServer`` running until graceful shutdown or cancellation, then stops it.
struct EchoServerService: Service {
    let server: WebSocketEchoServer

    func run() async throws {
        try? await gracefulShutdown()
        await self.server.stop()
    }
}
