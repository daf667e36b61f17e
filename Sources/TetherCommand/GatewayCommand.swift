import ArgumentParser

struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gateway", abstract: "Run the WebSocket-aware load balancer.")
    func run() async throws {}
}
