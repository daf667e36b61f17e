import ArgumentParser

struct EchoServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "echo-server", abstract: "Run a WebSocket echo server (placeholder).")
    func run() async throws {}
}
