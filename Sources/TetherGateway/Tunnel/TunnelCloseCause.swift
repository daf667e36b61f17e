/// Why the gateway itself ends a tunnel, and the close codes it sends each way.
enum TunnelCloseCause: Sendable {
    /// The endpoint is being drained (or was removed from the configuration).
    case drain
    /// The gateway is shutting down.
    case shutdown
    /// No data either way for the configured idle timeout.
    case idle
    /// A leg stopped answering keep-alive pings.
    case keepAliveTimeout

    /// The code sent to the client: 1012 Service Restart when only the endpoint goes away (reconnecting
    /// lands elsewhere at once), 1001 Going Away otherwise.
    var downstreamCode: UInt16 { self == .drain ? 1012 : 1001 }

    /// The code sent to the endpoint: the gateway acts as the client going away.
    var upstreamCode: UInt16 { 1001 }

    var reason: String {
        switch self {
        case .drain: "endpoint draining"
        case .shutdown: "gateway shutting down"
        case .idle: "idle timeout"
        case .keepAliveTimeout: "peer stopped answering pings"
        }
    }
}
