/// Why the gateway itself answered a downstream request instead of an endpoint. Each has one HTTP status
/// and one metric `reason` label, so a refusal is always clear to the client and countable.
public enum GatewayRefusal: String, Sendable, CaseIterable {
    case noRoute = "no_route"
    case noHealthyEndpoint = "no_healthy_endpoint"
    case upstreamUnavailable = "upstream_unavailable"
    case upstreamTimeout = "upstream_timeout"
    case headTooLarge = "head_too_large"
    case headTimeout = "head_timeout"
    case bodyTooLarge = "body_too_large"
    case badRequest = "bad_request"
    case tooManyConnections = "too_many_connections"
    case tooManyConnectionsPerIP = "too_many_connections_per_ip"
    case upgradeRateLimited = "upgrade_rate_limited"
    case invalidProxyProtocol = "invalid_proxy_protocol"
    case shuttingDown = "shutting_down"

    /// The HTTP status sent to the client.
    public var status: Int {
        switch self {
        case .noRoute: 404
        case .noHealthyEndpoint, .tooManyConnections, .shuttingDown: 503
        case .upstreamUnavailable: 502
        case .upstreamTimeout: 504
        case .headTooLarge: 431
        case .headTimeout: 408
        case .bodyTooLarge: 413
        case .badRequest, .invalidProxyProtocol: 400
        case .tooManyConnectionsPerIP, .upgradeRateLimited: 429
        }
    }

    /// A one-line, human-readable explanation sent as the response body.
    public var message: String {
        switch self {
        case .noRoute: "no route matches this host and path"
        case .noHealthyEndpoint: "no healthy endpoint is available for this route"
        case .upstreamUnavailable: "every endpoint tried failed to answer"
        case .upstreamTimeout: "the endpoint did not answer in time"
        case .headTooLarge: "request head too large"
        case .headTimeout: "request head not received in time"
        case .bodyTooLarge: "request body too large"
        case .badRequest: "malformed request"
        case .tooManyConnections: "the gateway is at its connection limit"
        case .tooManyConnectionsPerIP: "too many connections from this client address"
        case .upgradeRateLimited: "too many WebSocket upgrades from this client address"
        case .invalidProxyProtocol: "invalid PROXY protocol header"
        case .shuttingDown: "the gateway is shutting down"
        }
    }
}

/// Why an attempt towards an endpoint failed; counted, and fed to passive ejection.
public enum UpstreamFailureReason: String, Sendable, CaseIterable {
    case connectFailed = "connect_failed"
    case connectTimeout = "connect_timeout"
    case tlsFailed = "tls_failed"
    case serverError = "server_error"
    case closedBeforeResponse = "closed_before_response"
    case responseTimeout = "response_timeout"
    case circuitOpen = "circuit_open"
}
