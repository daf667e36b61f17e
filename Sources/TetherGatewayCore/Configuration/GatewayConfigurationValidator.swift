/// Semantic checks of a ``GatewayConfiguration`` that its types cannot express: references between
/// sections, uniqueness, ranges, and the rules that tie fields together.
///
/// Pure: it reads no files and resolves no names (the executable's loader checks that TLS files exist).
/// A configuration with no issues is safe to hand to the gateway.
public enum GatewayConfigurationValidator {
    /// Every problem found, in document order (admin, shutdown drain window, limits, listeners, clusters).
    /// Empty means valid. Key paths use the YAML file's snake_case names (see ``ConfigurationIssue``).
    public static func validate(_ configuration: GatewayConfiguration) -> [ConfigurationIssue] {
        var check = Checker()
        check.admin(configuration.admin)
        check.nonNegative(configuration.shutdownDrainWindow, at: "shutdown_drain_window")
        check.limits(configuration.limits)
        check.listeners(configuration.listeners, admin: configuration.admin, clusters: configuration.clusters)
        check.clusters(configuration.clusters)
        return check.issues
    }

    /// True when `name` is an HTTP token (RFC 9110 `tchar`, which RFC 6265 cookie names share):
    /// non-empty, visible ASCII, no separators.
    static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy(isTokenByte)
    }

    /// True when `pattern` is a route host: a host name or IP address without port, optionally starting
    /// with a `*.` wildcard label (`*.example.com`). `*` may appear only as that whole leading label.
    static func isValidHostPattern(_ pattern: String) -> Bool {
        if pattern.hasPrefix("[") && pattern.hasSuffix("]") {
            return IPAddress(parsing: String(pattern.dropFirst().dropLast())) != nil
        }
        guard !pattern.isEmpty, pattern.utf8.count <= 253 else { return false }
        var labels = pattern.split(separator: ".", omittingEmptySubsequences: false)
        if labels.first == "*" {
            labels.removeFirst()
            guard !labels.isEmpty else { return false }
        }
        return labels.allSatisfy(isValidHostLabel)
    }

    private static func isValidHostLabel(_ label: Substring) -> Bool {
        guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-" else { return false }
        return label.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "-")
        }
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

/// Accumulates issues while walking one configuration.
private struct Checker {
    var issues: [ConfigurationIssue] = []

    mutating func fail(_ keyPath: String, _ message: String) {
        issues.append(ConfigurationIssue(keyPath: keyPath, message: message))
    }

    // MARK: Scalars

    mutating func positive(_ value: Duration, at keyPath: String) {
        if value <= .zero { fail(keyPath, "must be greater than zero") }
    }

    mutating func nonNegative(_ value: Duration, at keyPath: String) {
        if value < .zero { fail(keyPath, "must not be negative") }
    }

    mutating func positive(_ value: Int?, at keyPath: String) {
        if let value, value <= 0 { fail(keyPath, "must be greater than zero (got \(value))") }
    }

    mutating func nonEmpty(_ value: String?, at keyPath: String) {
        if let value, value.isEmpty { fail(keyPath, "must not be empty") }
    }

    mutating func address(_ address: HostAndPort, at keyPath: String, allowPortZero: Bool) {
        if address.host.isEmpty { fail(keyPath, "host must not be empty") }
        let ports = allowPortZero ? 0...65535 : 1...65535
        if !ports.contains(address.port) {
            fail(keyPath, "port \(address.port) is out of range \(ports.lowerBound)...\(ports.upperBound)")
        }
    }

    // MARK: Sections

    mutating func admin(_ admin: AdminConfiguration?) {
        guard let admin else { return }
        address(admin.address, at: "admin.listen", allowPortZero: true)
        nonEmpty(admin.token, at: "admin.token")
    }

    mutating func limits(_ limits: LimitsConfiguration) {
        positive(limits.requestHeadTimeout, at: "limits.request_head_timeout")
        positive(limits.maxRequestHeadBytes, at: "limits.max_request_head_bytes")
        if limits.maxRequestBodyBytes < 0 { fail("limits.max_request_body_bytes", "must not be negative") }
        nonNegative(limits.idleTimeout, at: "limits.idle_timeout")
        positive(limits.httpKeepAliveTimeout, at: "limits.http_keep_alive_timeout")
        positive(limits.maxConnections, at: "limits.max_connections")
        positive(limits.maxConnectionsPerIP, at: "limits.max_connections_per_ip")
        if let rate = limits.upgradesPerIPPerSecond, !(rate > 0 && rate.isFinite) {
            fail("limits.upgrades_per_ip_per_second", "must be a finite number greater than zero")
        }
        if let burst = limits.upgradeBurst {
            if burst < 1 { fail("limits.upgrade_burst", "must be at least 1 (got \(burst))") }
            if limits.upgradesPerIPPerSecond == nil {
                fail("limits.upgrade_burst", "has no effect without limits.upgrades_per_ip_per_second")
            }
        }
    }

    mutating func listeners(_ listeners: [ListenerConfiguration], admin: AdminConfiguration?, clusters: [ClusterConfiguration]) {
        if listeners.isEmpty { fail("listeners", "at least one listener is required") }
        let clusterNames = Set(clusters.map(\.name))
        var firstByName: [String: Int] = [:]
        // Bound addresses so far, for collision checks: the admin listener first, then each listener.
        var bound: [(address: HostAndPort, owner: String)] = []
        if let admin, admin.address.port != 0 { bound.append((admin.address, "admin.listen")) }

        for (index, listener) in listeners.enumerated() {
            let path = "listeners[\(index)]"
            if listener.name.isEmpty {
                fail("\(path).name", "must not be empty")
            } else if let first = firstByName[listener.name] {
                fail("\(path).name", "duplicate listener name \"\(listener.name)\" (also listeners[\(first)])")
            } else {
                firstByName[listener.name] = index
            }

            address(listener.address, at: "\(path).listen", allowPortZero: true)
            if listener.address.port != 0 {
                if let clash = bound.first(where: { Self.conflict($0.address, listener.address) }) {
                    fail("\(path).listen", "address \(listener.address) is already used by \(clash.owner)")
                }
                bound.append((listener.address, "\(path).listen"))
            }

            if let tls = listener.tls {
                nonEmpty(tls.certificateFile, at: "\(path).tls.certificate")
                nonEmpty(tls.privateKeyFile, at: "\(path).tls.key")
            }
            routes(listener.routes, at: "\(path).routes", clusterNames: clusterNames)
        }
    }

    /// Two listen addresses collide when their ports match and either their hosts match or one is a
    /// wildcard (`0.0.0.0`, `::`), which binds every address of the machine.
    private static func conflict(_ a: HostAndPort, _ b: HostAndPort) -> Bool {
        guard a.port == b.port else { return false }
        let wildcards: Set<String> = ["0.0.0.0", "::", "*"]
        let hostA = a.host.lowercased()
        let hostB = b.host.lowercased()
        return hostA == hostB || wildcards.contains(hostA) || wildcards.contains(hostB)
    }

    mutating func routes(_ routes: [RouteConfiguration], at path: String, clusterNames: Set<String>) {
        if routes.isEmpty { fail(path, "at least one route is required") }
        var firstByMatch: [String: Int] = [:]
        for (index, route) in routes.enumerated() {
            let routePath = "\(path)[\(index)]"
            if let host = route.host, !GatewayConfigurationValidator.isValidHostPattern(host) {
                fail(
                    "\(routePath).host",
                    "invalid host pattern \"\(host)\"; expected a host name without port, optionally starting with \"*.\""
                )
            }
            if !route.pathPrefix.hasPrefix("/") {
                fail("\(routePath).path_prefix", "must start with \"/\" (got \"\(route.pathPrefix)\")")
            }
            if route.cluster.isEmpty {
                fail("\(routePath).cluster", "must not be empty")
            } else if !clusterNames.contains(route.cluster) {
                let known = clusterNames.sorted().joined(separator: ", ")
                fail("\(routePath).cluster", "unknown cluster \"\(route.cluster)\"; defined clusters: \(known.isEmpty ? "none" : known)")
            }
            let match = "\(route.host?.lowercased() ?? "*") \(route.pathPrefix)"
            if let first = firstByMatch[match] {
                fail(routePath, "matches the same host and path prefix as \(path)[\(first)], so it can never be chosen")
            } else {
                firstByMatch[match] = index
            }
        }
    }

    mutating func clusters(_ clusters: [ClusterConfiguration]) {
        var firstByName: [String: Int] = [:]
        for (index, cluster) in clusters.enumerated() {
            let path = "clusters[\(index)]"
            if cluster.name.isEmpty {
                fail("\(path).name", "must not be empty")
            } else if let first = firstByName[cluster.name] {
                fail("\(path).name", "duplicate cluster name \"\(cluster.name)\" (also clusters[\(first)])")
            } else {
                firstByName[cluster.name] = index
            }
            self.cluster(cluster, at: path)
        }
    }

    mutating func cluster(_ cluster: ClusterConfiguration, at path: String) {
        policy(cluster.policy, at: path)
        if !(cluster.balanceFactor > 1 && cluster.balanceFactor <= 100) {
            fail("\(path).balance_factor", "must be greater than 1 and at most 100 (got \(cluster.balanceFactor))")
        }
        if !(0...10).contains(cluster.retries) {
            fail("\(path).retries", "must be in 0...10 (got \(cluster.retries))")
        }
        positive(cluster.connectTimeout, at: "\(path).connect_timeout")
        positive(cluster.responseTimeout, at: "\(path).response_timeout")
        nonNegative(cluster.drainWindow, at: "\(path).drain_window")
        nonNegative(cluster.slowStart, at: "\(path).slow_start")

        nonNegative(cluster.keepAlive.interval, at: "\(path).keepalive.interval")
        if cluster.keepAlive.interval > .zero {
            positive(cluster.keepAlive.timeout, at: "\(path).keepalive.timeout")
        }

        if let health = cluster.healthCheck { healthCheck(health, at: "\(path).health_check") }

        let outlier = cluster.outlierDetection
        if outlier.consecutiveFailures < 1 {
            fail("\(path).outlier_detection.consecutive_failures", "must be at least 1 (got \(outlier.consecutiveFailures))")
        }
        positive(outlier.baseEjectionTime, at: "\(path).outlier_detection.base_ejection_time")
        if outlier.maxEjectionTime < outlier.baseEjectionTime {
            fail("\(path).outlier_detection.max_ejection_time", "must not be shorter than base_ejection_time")
        }

        if let tls = cluster.upstreamTLS {
            let tlsPath = "\(path).upstream_tls"
            nonEmpty(tls.caFile, at: "\(tlsPath).ca")
            nonEmpty(tls.certificateFile, at: "\(tlsPath).certificate")
            nonEmpty(tls.privateKeyFile, at: "\(tlsPath).key")
            nonEmpty(tls.serverName, at: "\(tlsPath).server_name")
            switch (tls.certificateFile, tls.privateKeyFile) {
            case (nil, .some): fail("\(tlsPath).certificate", "required when key is set (client certificate and key go together)")
            case (.some, nil): fail("\(tlsPath).key", "required when certificate is set (client certificate and key go together)")
            default: break
            }
        }

        session(cluster.session, at: "\(path).session")
        endpoints(cluster.endpoints, at: "\(path).endpoints")
    }

    /// The session-mode block is checked whether or not a `mode: session` route uses the cluster, so a
    /// route added later cannot make a previously accepted file invalid.
    mutating func session(_ session: SessionModeConfiguration, at path: String) {
        if !(session.migrationRate > 0 && session.migrationRate <= 100_000) {
            fail("\(path).migration_rate", "must be greater than 0 and at most 100000 sessions per second (got \(session.migrationRate))")
        }
        if !(session.rebindTimeout > .zero && session.rebindTimeout <= .seconds(600)) {
            fail("\(path).rebind_timeout", "must be greater than zero and at most 10m (got \(session.rebindTimeout))")
        }
        if !(1...100_000).contains(session.maxInFlight) {
            fail("\(path).max_in_flight", "must be in 1...100000 (got \(session.maxInFlight))")
        }
        if !(4_096...(1 << 30)).contains(session.maxBufferedBytes) {
            fail("\(path).max_buffered_bytes", "must be in 4096...1073741824 (4 KiB to 1 GiB) (got \(session.maxBufferedBytes))")
        }
    }

    mutating func policy(_ policy: BalancingPolicyConfiguration, at path: String) {
        switch policy {
        case .roundRobin, .leastConnections, .random, .clientIPHash:
            break
        case .headerHash(let name):
            if !GatewayConfigurationValidator.isToken(name) {
                fail("\(path).hash_key", "must be a valid HTTP header name (got \"\(name)\")")
            }
        case .queryHash(let name):
            nonEmpty(name, at: "\(path).hash_key")
        case .cookieHash(let name):
            if !GatewayConfigurationValidator.isToken(name) {
                fail("\(path).hash_key", "must be a valid cookie name (RFC 6265 token) (got \"\(name)\")")
            }
        case .stickyCookie(let sticky):
            let stickyPath = "\(path).sticky_cookie"
            if !GatewayConfigurationValidator.isToken(sticky.name) {
                fail("\(stickyPath).name", "must be a valid cookie name (RFC 6265 token) (got \"\(sticky.name)\")")
            }
            if sticky.secret.utf8.count < 32 {
                fail("\(stickyPath).secret", "must be at least 32 bytes (got \(sticky.secret.utf8.count))")
            }
            if sticky.epoch < 0 { fail("\(stickyPath).epoch", "must not be negative (got \(sticky.epoch))") }
            positive(sticky.maxAge, at: "\(stickyPath).max_age")
        }
    }

    mutating func healthCheck(_ health: HealthCheckConfiguration, at path: String) {
        if !health.path.hasPrefix("/") { fail("\(path).path", "must start with \"/\" (got \"\(health.path)\")") }
        positive(health.interval, at: "\(path).interval")
        positive(health.timeout, at: "\(path).timeout")
        if health.timeout > .zero && health.interval > .zero && health.timeout >= health.interval {
            fail("\(path).timeout", "must be shorter than interval")
        }
        if health.rise < 1 { fail("\(path).rise", "must be at least 1 (got \(health.rise))") }
        if health.fall < 1 { fail("\(path).fall", "must be at least 1 (got \(health.fall))") }
        let statuses = health.expectedStatus
        if statuses.lowerBound < 100 || statuses.upperBound > 599 {
            fail("\(path).expected_status", "must lie in 100...599 (got \(statuses.lowerBound)-\(statuses.upperBound))")
        }
    }

    mutating func endpoints(_ endpoints: [EndpointConfiguration], at path: String) {
        if endpoints.isEmpty { fail(path, "at least one endpoint is required") }
        var firstByAddress: [String: Int] = [:]
        for (index, endpoint) in endpoints.enumerated() {
            let endpointPath = "\(path)[\(index)]"
            address(endpoint.address, at: "\(endpointPath).address", allowPortZero: false)
            let key = "\(endpoint.address.host.lowercased()) \(endpoint.address.port)"
            if let first = firstByAddress[key] {
                fail("\(endpointPath).address", "duplicate endpoint address \(endpoint.address) (also endpoints[\(first)])")
            } else {
                firstByAddress[key] = index
            }
            if !(1...1000).contains(endpoint.weight) {
                fail("\(endpointPath).weight", "must be in 1...1000 (got \(endpoint.weight))")
            }
            positive(endpoint.maxConnections, at: "\(endpointPath).max_connections")
        }
    }
}
