import ServiceLifecycle

/// Runs a ``Gateway`` as a swift-service-lifecycle `Service`: starts it, and on graceful shutdown (SIGTERM)
/// closes every tunnel with 1001 spread over the shutdown drain window before returning.
public struct GatewayService: Service {
    public let gateway: Gateway
    private let onStarted: @Sendable (Gateway) -> Void

    public init(gateway: Gateway, onStarted: @escaping @Sendable (Gateway) -> Void = { _ in }) {
        self.gateway = gateway
        self.onStarted = onStarted
    }

    public func run() async throws {
        try await gateway.start()
        onStarted(gateway)
        try? await gracefulShutdown()
        await gateway.shutdown()
    }
}
