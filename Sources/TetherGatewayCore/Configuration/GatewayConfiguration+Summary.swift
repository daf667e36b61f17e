extension GatewayConfiguration {
    /// Number of routes over all listeners.
    public var routeCount: Int { listeners.reduce(0) { $0 + $1.routes.count } }

    /// Number of endpoints over all clusters.
    public var endpointCount: Int { clusters.reduce(0) { $0 + $1.endpoints.count } }

    /// A human-readable, multi-line outline of the configuration (listeners with their routes, clusters with
    /// their policy and endpoints, the admin listener) ending with a count line such as
    /// `1 listener, 1 route, 1 cluster, 2 endpoints`. Each route shows its mode; a cluster that serves a
    /// `mode: session` route also shows its session settings. Secrets and tokens are never printed.
    /// For `tether gateway --check-config` and start-up logs; the format is for people, not parsers.
    public var summary: String {
        var lines: [String] = []
        for listener in listeners {
            var options: [String] = []
            if listener.tls != nil { options.append("tls") }
            if listener.proxyProtocol { options.append("proxy_protocol") }
            if !listener.trustedProxies.isEmpty {
                options.append("trusted_proxies: \(listener.trustedProxies.map(\.description).joined(separator: ", "))")
            }
            let suffix = options.isEmpty ? "" : " (\(options.joined(separator: "; ")))"
            lines.append("listener \(listener.name) on \(listener.address)\(suffix)")
            for route in listener.routes {
                lines.append("  route host \(route.host ?? "*") path \(route.pathPrefix) -> cluster \(route.cluster) (\(route.mode.rawValue))")
            }
        }
        let sessionClusters = Set(listeners.flatMap(\.routes).filter { $0.mode == .session }.map(\.cluster))
        for cluster in clusters {
            var details = [Self.describe(cluster.policy), "retries \(cluster.retries)"]
            if let health = cluster.healthCheck {
                details.append("health check GET \(health.path) every \(Self.describe(health.interval))")
            }
            if cluster.upstreamTLS != nil { details.append("upstream tls") }
            lines.append("cluster \(cluster.name): \(details.joined(separator: ", "))")
            if sessionClusters.contains(cluster.name) { lines.append("  \(Self.describe(cluster.session))") }
            for endpoint in cluster.endpoints {
                var endpointDetails = ["weight \(endpoint.weight)", endpoint.state.rawValue]
                if let max = endpoint.maxConnections { endpointDetails.append("max_connections \(max)") }
                lines.append("  endpoint \(endpoint.address) (\(endpointDetails.joined(separator: ", ")))")
            }
        }
        if let admin {
            lines.append("admin on \(admin.address)\(admin.token == nil ? " (no token)" : " (token required)")")
        }
        lines.append(
            [
                Self.count(listeners.count, "listener"), Self.count(routeCount, "route"),
                Self.count(clusters.count, "cluster"), Self.count(endpointCount, "endpoint"),
            ].joined(separator: ", ")
        )
        return lines.joined(separator: "\n")
    }

    private static func count(_ n: Int, _ noun: String) -> String {
        "\(n) \(noun)\(n == 1 ? "" : "s")"
    }

    private static func describe(_ policy: BalancingPolicyConfiguration) -> String {
        switch policy {
        case .roundRobin: "round_robin"
        case .leastConnections: "least_connections"
        case .random: "random"
        case .clientIPHash: "ip_hash"
        case .headerHash(let name): "header_hash of \(name)"
        case .queryHash(let name): "query_hash of \(name)"
        case .cookieHash(let name): "cookie_hash of \(name)"
        case .stickyCookie(let sticky): "sticky_cookie \(sticky.name)"
        }
    }

    /// `session: migration_rate 50/s, rebalance off, rebind_timeout 10s, max_in_flight 1000, max_buffered_bytes 1048576`.
    private static func describe(_ session: SessionModeConfiguration) -> String {
        let rate = session.migrationRate
        let rateText = rate == rate.rounded() && abs(rate) < 1e15 ? "\(Int64(rate))" : "\(rate)"
        let settings = [
            "migration_rate \(rateText)/s", "rebalance \(session.rebalance ? "on" : "off")",
            "rebind_timeout \(describe(session.rebindTimeout))", "max_in_flight \(session.maxInFlight)",
            "max_buffered_bytes \(session.maxBufferedBytes)",
        ]
        return "session: " + settings.joined(separator: ", ")
    }

    /// `2s`, `250ms`, `5m`: the largest unit that divides the duration exactly.
    private static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 {
            for (unit, size) in [("d", Int64(86_400)), ("h", 3_600), ("m", 60)] where seconds != 0 && seconds % size == 0 {
                return "\(seconds / size)\(unit)"
            }
            return "\(seconds)s"
        }
        let milliseconds = Double(seconds) * 1_000 + Double(attoseconds) / 1e15
        return milliseconds == milliseconds.rounded() ? "\(Int64(milliseconds))ms" : "\(milliseconds)ms"
    }
}
