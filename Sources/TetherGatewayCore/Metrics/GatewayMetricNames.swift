/// Every metric the gateway emits, in one place (Prometheus naming: `_total` counters, base units).
///
/// Labels: `listener`, `cluster`, `endpoint` (`host:port`), `direction` (`downstream` = towards the client,
/// `upstream` = towards the endpoint), `reason` (see ``GatewayRefusal`` and ``UpstreamFailureReason``).
public enum GatewayMetricNames {
    /// Gauge: downstream connections open now, by listener.
    public static let downstreamConnectionsActive = "tether_gateway_downstream_connections_active"
    /// Counter: downstream connections accepted, by listener.
    public static let downstreamConnectionsTotal = "tether_gateway_downstream_connections_total"
    /// Gauge: WebSocket tunnels open now, by cluster and endpoint.
    public static let tunnelsActive = "tether_gateway_tunnels_active"
    /// Counter: WebSocket upgrades completed (101 relayed), by cluster and endpoint.
    public static let upgradesTotal = "tether_gateway_upgrades_total"
    /// Counter: plain HTTP requests proxied, by cluster and endpoint.
    public static let httpRequestsTotal = "tether_gateway_http_requests_total"
    /// Counter: requests the gateway refused itself, by listener and reason.
    public static let refusalsTotal = "tether_gateway_refusals_total"
    /// Counter: failed attempts towards an endpoint (connect, TLS, 5xx before 101, timeout), by cluster, endpoint, reason.
    public static let upstreamFailuresTotal = "tether_gateway_upstream_failures_total"
    /// Counter: bytes relayed through tunnels, by cluster, endpoint and direction.
    public static let bytesRelayedTotal = "tether_gateway_relayed_bytes_total"
    /// Counter: complete WebSocket messages relayed, by cluster, endpoint and direction.
    public static let messagesRelayedTotal = "tether_gateway_relayed_messages_total"
    /// Gauge: 1 when an endpoint takes new connections (ready, healthy, not ejected), else 0.
    public static let endpointHealthy = "tether_gateway_endpoint_healthy"
    /// Counter: tunnels closed by a drain (1012) or shutdown (1001), by cluster and endpoint.
    public static let drainClosesTotal = "tether_gateway_drain_closes_total"
    /// Counter: tunnels closed because a leg stopped answering keep-alive pings or stayed idle too long.
    public static let tunnelTimeoutsTotal = "tether_gateway_tunnel_timeouts_total"
    /// Histogram (seconds): from the request head to the relayed `101`, by cluster.
    public static let handshakeDuration = "tether_gateway_handshake_duration_seconds"
    /// Counter: configuration reloads, by result (`ok`, `invalid`).
    public static let reloadsTotal = "tether_gateway_reloads_total"

    /// Gauge: sessions (session-mode connections) open now, by cluster and the endpoint they are bound to.
    public static let sessionsActive = "tether_gateway_sessions_active"
    /// Counter: sessions moved to another endpoint, by cluster and reason (`closed`, `error`, `ping_timeout`,
    /// `node_disconnect`, `drain`, `rebalance`).
    public static let sessionRebindsTotal = "tether_gateway_session_rebinds_total"
    /// Histogram (seconds): from the loss of a session's endpoint (or the start of a migration) to the new
    /// endpoint's answer to the resuming `connect`, by cluster and reason (as for re-binds).
    public static let sessionRebindDuration = "tether_gateway_session_rebind_duration_seconds"
    /// Counter: sessions moved by a drain or a rebalance (the migration rate is its rate), by cluster.
    public static let sessionMigrationsTotal = "tether_gateway_session_migrations_total"
    /// Counter: publications a re-bind recovered and forwarded to clients, by cluster.
    public static let sessionReplayedTotal = "tether_gateway_session_replayed_publications_total"
    /// Counter: publications dropped because the client already had them (at or below its delivered offset),
    /// by cluster.
    public static let sessionDeduplicatedTotal = "tether_gateway_session_deduplicated_publications_total"
    /// Counter: sessions whose client was closed by the gateway, by cluster and reason (`rebind_timeout`,
    /// `rebind_refused`, `backlog`, `protocol`, `shutdown`).
    public static let sessionClientClosesTotal = "tether_gateway_session_client_closes_total"
}
