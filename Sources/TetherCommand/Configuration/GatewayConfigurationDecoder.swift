import Foundation
import TetherGatewayCore
import Yams

/// Turns a composed YAML tree into a ``GatewayConfiguration``, following the schema in
/// `docs/configuration.md`. Absent and null keys take the model's defaults; unknown keys, wrong types and
/// bad values become issues in ``reader`` and decoding carries on, so one pass reports them all.
///
/// Relative file paths (TLS certificates, keys and CAs) are resolved against `baseDirectory`, and each one
/// is listed in ``files`` so the loader can check that it exists.
struct GatewayConfigurationDecoder {
    let reader = YAMLNodeReader()
    let baseDirectory: String
    /// Every file the configuration names: its key path and absolute path, in document order.
    private(set) var files: [(keyPath: String, path: String)] = []

    init(baseDirectory: String) {
        self.baseDirectory = baseDirectory
    }

    enum Keys {
        static let root = ["admin", "shutdown_drain_window", "limits", "listeners", "clusters"]
        static let admin = ["listen", "token"]
        static let limits = [
            "request_head_timeout", "max_request_head_bytes", "max_request_body_bytes", "idle_timeout",
            "http_keep_alive_timeout", "max_connections", "max_connections_per_ip", "upgrades_per_ip_per_second",
            "upgrade_burst",
        ]
        static let listener = ["name", "listen", "proxy_protocol", "trusted_proxies", "client_ip_header", "tls", "routes"]
        static let serverTLS = ["certificate", "key", "client_ca"]
        static let route = ["host", "path_prefix", "cluster", "mode"]
        static let cluster = [
            "name", "policy", "hash_key", "sticky_cookie", "balance_factor", "retries", "connect_timeout",
            "response_timeout", "drain_window", "slow_start", "keepalive", "health_check", "outlier_detection", "upstream_tls", "session", "endpoints",
        ]
        static let stickyCookie = ["name", "secret", "epoch", "max_age"]
        static let keepAlive = ["interval", "timeout"]
        static let healthCheck = ["path", "interval", "timeout", "expected_status", "rise", "fall"]
        static let outlierDetection = ["consecutive_failures", "base_ejection_time", "max_ejection_time"]
        static let upstreamTLS = ["ca", "certificate", "key", "server_name"]
        static let endpoint = ["address", "weight", "max_connections", "state"]
        static let session = ["migration_rate", "rebalance", "rebind_timeout", "max_in_flight", "max_buffered_bytes"]
    }

    /// The `policy` words of the file.
    enum PolicyName: String, CaseIterable {
        case roundRobin = "round_robin"
        case leastConnections = "least_connections"
        case random
        case ipHash = "ip_hash"
        case headerHash = "header_hash"
        case queryHash = "query_hash"
        case cookieHash = "cookie_hash"
        case stickyCookie = "sticky_cookie"

        var takesHashKey: Bool { self == .headerHash || self == .queryHash || self == .cookieHash }
    }

    // MARK: Root

    /// Decodes the document root; nil (an empty file) decodes as an empty configuration.
    mutating func decode(_ root: Node?) -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        guard let root, let m = reader.mapping(root, at: "", keys: Keys.root) else { return configuration }
        configuration.admin = m.value("admin").flatMap { admin($0, at: m.path("admin")) }
        configuration.shutdownDrainWindow =
            m.optional("shutdown_drain_window", reader.duration) ?? configuration.shutdownDrainWindow
        if let node = m.value("limits") { configuration.limits = limits(node, at: m.path("limits")) }
        if let node = m.value("listeners"), let items = reader.sequence(node, at: m.path("listeners")) {
            configuration.listeners = items.compactMap { listener($0.node, at: $0.keyPath) }
        }
        if let node = m.value("clusters"), let items = reader.sequence(node, at: m.path("clusters")) {
            configuration.clusters = items.compactMap { cluster($0.node, at: $0.keyPath) }
        }
        return configuration
    }

    private func admin(_ node: Node, at path: String) -> AdminConfiguration? {
        guard let m = reader.mapping(node, at: path, keys: Keys.admin),
            let address = m.required("listen", reader.hostAndPort)
        else { return nil }
        return AdminConfiguration(address: address, token: m.optional("token", reader.string))
    }

    private func limits(_ node: Node, at path: String) -> LimitsConfiguration {
        var limits = LimitsConfiguration()
        guard let m = reader.mapping(node, at: path, keys: Keys.limits) else { return limits }
        limits.requestHeadTimeout = m.optional("request_head_timeout", reader.duration) ?? limits.requestHeadTimeout
        limits.maxRequestHeadBytes = m.optional("max_request_head_bytes", reader.int) ?? limits.maxRequestHeadBytes
        limits.maxRequestBodyBytes = m.optional("max_request_body_bytes", reader.int) ?? limits.maxRequestBodyBytes
        limits.idleTimeout = m.optional("idle_timeout", reader.duration) ?? limits.idleTimeout
        limits.httpKeepAliveTimeout = m.optional("http_keep_alive_timeout", reader.duration) ?? limits.httpKeepAliveTimeout
        limits.maxConnections = m.optional("max_connections", reader.int)
        limits.maxConnectionsPerIP = m.optional("max_connections_per_ip", reader.int)
        limits.upgradesPerIPPerSecond = m.optional("upgrades_per_ip_per_second", reader.double)
        limits.upgradeBurst = m.optional("upgrade_burst", reader.int)
        return limits
    }

    // MARK: Listeners

    private mutating func listener(_ node: Node, at path: String) -> ListenerConfiguration? {
        guard let m = reader.mapping(node, at: path, keys: Keys.listener) else { return nil }
        let name = m.required("name", reader.string)
        let address = m.required("listen", reader.hostAndPort)
        var listener = ListenerConfiguration(name: name ?? "", address: address ?? HostAndPort(host: "", port: 0))
        listener.proxyProtocol = m.optional("proxy_protocol", reader.bool) ?? false
        if let node = m.value("trusted_proxies"), let items = reader.sequence(node, at: m.path("trusted_proxies")) {
            listener.trustedProxies = items.compactMap { cidr($0.node, at: $0.keyPath) }
        }
        let headers = KeyValuePairs<String, ClientIPHeader>(dictionaryLiteral: ("x-forwarded-for", .xForwardedFor), ("forwarded", .forwarded))
        listener.clientIPHeader = m.optional("client_ip_header") { reader.choice($0, at: $1, what: "client IP header", headers) } ?? .xForwardedFor
        if let node = m.value("tls") { listener.tls = serverTLS(node, at: m.path("tls")) }
        if let node = m.value("routes"), let items = reader.sequence(node, at: m.path("routes")) {
            listener.routes = items.compactMap { route($0.node, at: $0.keyPath) }
        }
        return listener
    }

    private func cidr(_ node: Node, at path: String) -> CIDR? {
        guard let text = reader.string(node, at: path) else { return nil }
        guard let cidr = CIDR(parsing: text) else {
            reader.fail(path, "invalid network \"\(text)\"; expected an address or address/prefix such as 10.0.0.0/8", at: node)
            return nil
        }
        return cidr
    }

    private mutating func serverTLS(_ node: Node, at path: String) -> ServerTLSConfiguration? {
        guard let m = reader.mapping(node, at: path, keys: Keys.serverTLS) else { return nil }
        let certificate = m.required("certificate") { file($0, at: $1) }
        let key = m.required("key") { file($0, at: $1) }
        let clientCA = m.optional("client_ca") { file($0, at: $1) }
        guard let certificate, let key else { return nil }
        return ServerTLSConfiguration(certificateFile: certificate, privateKeyFile: key, clientCAFile: clientCA)
    }

    private func route(_ node: Node, at path: String) -> RouteConfiguration? {
        guard let m = reader.mapping(node, at: path, keys: Keys.route) else { return nil }
        let cluster = m.required("cluster", reader.string)
        var route = RouteConfiguration(cluster: cluster ?? "")
        if let host = m.optional("host", reader.string), host != "*" { route.host = host }
        route.pathPrefix = m.optional("path_prefix", reader.string) ?? route.pathPrefix
        let modes = KeyValuePairs<String, RouteMode>(dictionaryLiteral: ("tunnel", .tunnel), ("session", .session))
        route.mode = m.optional("mode") { reader.choice($0, at: $1, what: "mode", modes) } ?? route.mode
        return cluster == nil ? nil : route
    }

    // MARK: Clusters

    private mutating func cluster(_ node: Node, at path: String) -> ClusterConfiguration? {
        guard let m = reader.mapping(node, at: path, keys: Keys.cluster) else { return nil }
        var cluster = ClusterConfiguration(name: m.required("name", reader.string) ?? "")
        if let policy = policy(m) { cluster.policy = policy }
        cluster.balanceFactor = m.optional("balance_factor", reader.double) ?? cluster.balanceFactor
        cluster.retries = m.optional("retries", reader.int) ?? cluster.retries
        cluster.connectTimeout = m.optional("connect_timeout", reader.duration) ?? cluster.connectTimeout
        cluster.responseTimeout = m.optional("response_timeout", reader.duration) ?? cluster.responseTimeout
        cluster.drainWindow = m.optional("drain_window", reader.duration) ?? cluster.drainWindow
        cluster.slowStart = m.optional("slow_start", reader.duration) ?? cluster.slowStart
        if let node = m.value("keepalive") { cluster.keepAlive = keepAlive(node, at: m.path("keepalive")) }
        if let node = m.value("health_check") { cluster.healthCheck = healthCheck(node, at: m.path("health_check")) }
        if let node = m.value("outlier_detection") {
            cluster.outlierDetection = outlierDetection(node, at: m.path("outlier_detection"))
        }
        if let node = m.value("upstream_tls") { cluster.upstreamTLS = upstreamTLS(node, at: m.path("upstream_tls")) }
        if let node = m.value("session") { cluster.session = session(node, at: m.path("session")) }
        if let node = m.value("endpoints"), let items = reader.sequence(node, at: m.path("endpoints")) {
            cluster.endpoints = items.compactMap { endpoint($0.node, at: $0.keyPath) }
        }
        return cluster
    }

    /// `policy` with its companions `hash_key` (hash policies only) and `sticky_cookie` (sticky_cookie only).
    /// Nil when the policy or a companion is invalid (already reported).
    private func policy(_ m: YAMLMapping) -> BalancingPolicyConfiguration? {
        let names = KeyValuePairs<String, PolicyName>(
            dictionaryLiteral: ("round_robin", .roundRobin), ("least_connections", .leastConnections), ("random", .random),
            ("ip_hash", .ipHash), ("header_hash", .headerHash), ("query_hash", .queryHash), ("cookie_hash", .cookieHash),
            ("sticky_cookie", .stickyCookie)
        )
        let name = m.value("policy") == nil ? .roundRobin : m.optional("policy") { reader.choice($0, at: $1, what: "policy", names) }
        let hashKey = m.optional("hash_key", reader.string)
        let sticky = m.value("sticky_cookie").flatMap { stickyCookie($0, at: m.path("sticky_cookie")) }
        guard let name else { return nil }

        if name.takesHashKey, !m.contains("hash_key") {
            reader.fail(m.path("hash_key"), "required for policy \(name.rawValue)", at: m.value("policy"))
        } else if !name.takesHashKey, m.contains("hash_key") {
            reader.fail(m.path("hash_key"), "only valid with policy header_hash, query_hash or cookie_hash", at: m.value("hash_key"))
        }
        if name == .stickyCookie, !m.contains("sticky_cookie") {
            reader.fail(m.path("sticky_cookie"), "required for policy sticky_cookie (it holds the cookie's secret)", at: m.value("policy"))
        } else if name != .stickyCookie, m.contains("sticky_cookie") {
            reader.fail(m.path("sticky_cookie"), "only valid with policy sticky_cookie", at: m.value("sticky_cookie"))
        }

        switch name {
        case .roundRobin: return .roundRobin
        case .leastConnections: return .leastConnections
        case .random: return .random
        case .ipHash: return .clientIPHash
        case .headerHash: return hashKey.map { .headerHash(name: $0) }
        case .queryHash: return hashKey.map { .queryHash(name: $0) }
        case .cookieHash: return hashKey.map { .cookieHash(name: $0) }
        case .stickyCookie: return sticky.map { .stickyCookie($0) }
        }
    }

    private func stickyCookie(_ node: Node, at path: String) -> StickyCookieConfiguration? {
        guard let m = reader.mapping(node, at: path, keys: Keys.stickyCookie),
            let secret = m.required("secret", reader.string)
        else { return nil }
        var sticky = StickyCookieConfiguration(secret: secret)
        sticky.name = m.optional("name", reader.string) ?? sticky.name
        sticky.epoch = m.optional("epoch", reader.int) ?? sticky.epoch
        sticky.maxAge = m.optional("max_age", reader.duration) ?? sticky.maxAge
        return sticky
    }

    private func keepAlive(_ node: Node, at path: String) -> KeepAliveConfiguration {
        var keepAlive = KeepAliveConfiguration()
        guard let m = reader.mapping(node, at: path, keys: Keys.keepAlive) else { return keepAlive }
        keepAlive.interval = m.optional("interval", reader.duration) ?? keepAlive.interval
        keepAlive.timeout = m.optional("timeout", reader.duration) ?? keepAlive.timeout
        return keepAlive
    }

    /// An absent `timeout` defaults to 2 s or half the interval, whichever is shorter, so that setting only
    /// a short interval stays valid.
    private func healthCheck(_ node: Node, at path: String) -> HealthCheckConfiguration? {
        var health = HealthCheckConfiguration()
        guard let m = reader.mapping(node, at: path, keys: Keys.healthCheck) else { return nil }
        health.path = m.optional("path", reader.string) ?? health.path
        health.interval = m.optional("interval", reader.duration) ?? health.interval
        health.timeout = m.optional("timeout", reader.duration) ?? min(health.timeout, health.interval / 2)
        health.expectedStatus = m.optional("expected_status") { statusRange($0, at: $1) } ?? health.expectedStatus
        health.rise = m.optional("rise", reader.int) ?? health.rise
        health.fall = m.optional("fall", reader.int) ?? health.fall
        return health
    }

    /// `200` or `"200-399"`, within 100...599.
    private func statusRange(_ node: Node, at path: String) -> ClosedRange<Int>? {
        guard let text = reader.string(node, at: path) else { return nil }
        let bounds = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            .map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard let low = bounds.first ?? nil, let high = bounds.last ?? nil,
            (100...599).contains(low), (100...599).contains(high), low <= high
        else {
            reader.fail(path, "invalid status \"\(text)\"; expected a status such as 200 or a range such as \"200-399\" within 100-599", at: node)
            return nil
        }
        return low...high
    }

    private func outlierDetection(_ node: Node, at path: String) -> OutlierDetectionConfiguration {
        var outlier = OutlierDetectionConfiguration()
        guard let m = reader.mapping(node, at: path, keys: Keys.outlierDetection) else { return outlier }
        outlier.consecutiveFailures = m.optional("consecutive_failures", reader.int) ?? outlier.consecutiveFailures
        outlier.baseEjectionTime = m.optional("base_ejection_time", reader.duration) ?? outlier.baseEjectionTime
        outlier.maxEjectionTime = m.optional("max_ejection_time", reader.duration) ?? outlier.maxEjectionTime
        return outlier
    }

    private mutating func upstreamTLS(_ node: Node, at path: String) -> UpstreamTLSConfiguration? {
        guard let m = reader.mapping(node, at: path, keys: Keys.upstreamTLS) else { return nil }
        return UpstreamTLSConfiguration(
            caFile: m.optional("ca") { file($0, at: $1) },
            certificateFile: m.optional("certificate") { file($0, at: $1) },
            privateKeyFile: m.optional("key") { file($0, at: $1) },
            serverName: m.optional("server_name", reader.string)
        )
    }

    /// The `session:` block of a cluster (used by its `mode: session` routes); absent keys keep the defaults.
    private func session(_ node: Node, at path: String) -> SessionModeConfiguration {
        var session = SessionModeConfiguration()
        guard let m = reader.mapping(node, at: path, keys: Keys.session) else { return session }
        session.migrationRate = m.optional("migration_rate", reader.double) ?? session.migrationRate
        session.rebalance = m.optional("rebalance", reader.bool) ?? session.rebalance
        session.rebindTimeout = m.optional("rebind_timeout", reader.duration) ?? session.rebindTimeout
        session.maxInFlight = m.optional("max_in_flight", reader.int) ?? session.maxInFlight
        session.maxBufferedBytes = m.optional("max_buffered_bytes", reader.int) ?? session.maxBufferedBytes
        return session
    }

    /// A mapping, or the shorthand `"host:port"` for an endpoint with default options.
    private func endpoint(_ node: Node, at path: String) -> EndpointConfiguration? {
        if case .scalar = node {
            return reader.hostAndPort(node, at: path).map { EndpointConfiguration(address: $0) }
        }
        guard let m = reader.mapping(node, at: path, keys: Keys.endpoint),
            let address = m.required("address", reader.hostAndPort)
        else { return nil }
        var endpoint = EndpointConfiguration(address: address)
        endpoint.weight = m.optional("weight", reader.int) ?? endpoint.weight
        endpoint.maxConnections = m.optional("max_connections", reader.int)
        let states = KeyValuePairs<String, EndpointAdminState>(
            dictionaryLiteral: ("ready", .ready), ("drain", .drain), ("maint", .maint)
        )
        endpoint.state = m.optional("state") { reader.choice($0, at: $1, what: "state", states) } ?? endpoint.state
        return endpoint
    }

    // MARK: Files

    /// A file path made absolute against ``baseDirectory`` (`~/` expands to the home directory) and
    /// remembered for the existence check.
    private mutating func file(_ node: Node, at path: String) -> String? {
        guard let text = reader.string(node, at: path) else { return nil }
        guard !text.isEmpty else {
            reader.fail(path, "must not be empty", at: node)
            return nil
        }
        let expanded = text.hasPrefix("~/") ? NSString(string: text).expandingTildeInPath : text
        let url =
            expanded.hasPrefix("/")
            ? URL(fileURLWithPath: expanded)
            : URL(fileURLWithPath: expanded, relativeTo: URL(fileURLWithPath: baseDirectory, isDirectory: true))
        let absolute = url.standardizedFileURL.path
        files.append((path, absolute))
        return absolute
    }
}
