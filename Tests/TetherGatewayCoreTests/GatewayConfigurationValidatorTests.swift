import Testing

@testable import TetherGatewayCore

@Suite struct GatewayConfigurationValidatorTests {
    /// A small valid configuration every test starts from and breaks in one place.
    static func valid() -> GatewayConfiguration {
        GatewayConfiguration(
            listeners: [
                ListenerConfiguration(
                    name: "public",
                    address: HostAndPort(host: "127.0.0.1", port: 8080),
                    routes: [RouteConfiguration(pathPrefix: "/", cluster: "app")]
                )
            ],
            clusters: [
                ClusterConfiguration(
                    name: "app",
                    endpoints: [
                        EndpointConfiguration(address: HostAndPort(host: "127.0.0.1", port: 9001)),
                        EndpointConfiguration(address: HostAndPort(host: "127.0.0.1", port: 9002)),
                    ],
                    healthCheck: HealthCheckConfiguration()
                )
            ],
            admin: AdminConfiguration(address: HostAndPort(host: "127.0.0.1", port: 9901))
        )
    }

    /// Key paths of the issues found after `change` is applied to ``valid()``.
    static func keyPaths(_ change: (inout GatewayConfiguration) -> Void) -> [String] {
        var configuration = valid()
        change(&configuration)
        return GatewayConfigurationValidator.validate(configuration).map(\.keyPath)
    }

    @Test func validConfigurationHasNoIssues() {
        #expect(GatewayConfigurationValidator.validate(Self.valid()) == [])
    }

    @Test func issueDescriptionIsKeyPathThenMessage() {
        let issue = ConfigurationIssue(keyPath: "clusters[0].retries", message: "must be in 0...10 (got 11)")
        #expect(issue.description == "clusters[0].retries: must be in 0...10 (got 11)")
    }

    // MARK: Listeners and routes

    @Test func requiresAListener() {
        #expect(Self.keyPaths { $0.listeners = [] } == ["listeners"])
    }

    @Test func listenerNamesAreUnique() {
        let paths = Self.keyPaths {
            var second = $0.listeners[0]
            second.address.port = 8081
            $0.listeners.append(second)
        }
        #expect(paths == ["listeners[1].name"])
    }

    @Test func listenerAddressesAreUniqueExceptPortZero() {
        let clash = Self.keyPaths {
            var second = $0.listeners[0]
            second.name = "other"
            $0.listeners.append(second)
        }
        #expect(clash == ["listeners[1].listen"])

        let wildcard = Self.keyPaths {
            var second = $0.listeners[0]
            second.name = "other"
            second.address.host = "0.0.0.0"
            $0.listeners.append(second)
        }
        #expect(wildcard == ["listeners[1].listen"])

        let adminClash = Self.keyPaths { $0.admin?.address.port = 8080 }
        #expect(adminClash == ["listeners[0].listen"])

        let portZero = Self.keyPaths {
            $0.listeners[0].address.port = 0
            var second = $0.listeners[0]
            second.name = "other"
            $0.listeners.append(second)
        }
        #expect(portZero == [])
    }

    @Test func routeClusterMustExist() {
        let issues = {
            var configuration = Self.valid()
            configuration.listeners[0].routes.append(RouteConfiguration(pathPrefix: "/ws", cluster: "missing"))
            return GatewayConfigurationValidator.validate(configuration)
        }()
        #expect(issues.map(\.keyPath) == ["listeners[0].routes[1].cluster"])
        #expect(issues.first?.message.contains("\"missing\"") == true)
        #expect(issues.first?.message.contains("app") == true)
    }

    @Test func listenerNeedsRoutes() {
        #expect(Self.keyPaths { $0.listeners[0].routes = [] } == ["listeners[0].routes"])
    }

    @Test func pathPrefixStartsWithSlash() {
        #expect(Self.keyPaths { $0.listeners[0].routes[0].pathPrefix = "ws" } == ["listeners[0].routes[0].path_prefix"])
    }

    @Test func duplicateRouteMatchIsAnIssue() {
        let paths = Self.keyPaths {
            $0.listeners[0].routes.append(RouteConfiguration(pathPrefix: "/", cluster: "app"))
        }
        #expect(paths == ["listeners[0].routes[1]"])
    }

    @Test(arguments: ["chat.example.com", "*.example.com", "localhost", "127.0.0.1", "[::1]", "a-b.example"])
    func validHostPatterns(_ host: String) {
        #expect(GatewayConfigurationValidator.isValidHostPattern(host))
        #expect(Self.keyPaths { $0.listeners[0].routes[0].host = host } == [])
    }

    @Test(arguments: ["", "*", "a.*.example.com", "*example.com", "example.com:8080", "-a.example", "a..b", "ex ample.com", "**.example.com"])
    func invalidHostPatterns(_ host: String) {
        #expect(!GatewayConfigurationValidator.isValidHostPattern(host))
        #expect(Self.keyPaths { $0.listeners[0].routes[0].host = host } == ["listeners[0].routes[0].host"])
    }

    @Test func tlsFileNamesMustNotBeEmpty() {
        let paths = Self.keyPaths {
            $0.listeners[0].tls = ServerTLSConfiguration(certificateFile: "", privateKeyFile: "/k.pem")
        }
        #expect(paths == ["listeners[0].tls.certificate"])
    }

    // MARK: Clusters and endpoints

    @Test func clusterNamesAreUnique() {
        #expect(Self.keyPaths { $0.clusters.append($0.clusters[0]) } == ["clusters[1].name"])
    }

    @Test func clusterNeedsAnEndpoint() {
        #expect(Self.keyPaths { $0.clusters[0].endpoints = [] } == ["clusters[0].endpoints"])
    }

    @Test func endpointAddressesAreUnique() {
        #expect(Self.keyPaths { $0.clusters[0].endpoints[1].address.port = 9001 } == ["clusters[0].endpoints[1].address"])
    }

    @Test func endpointPortZeroIsRejected() {
        #expect(Self.keyPaths { $0.clusters[0].endpoints[1].address.port = 0 } == ["clusters[0].endpoints[1].address"])
    }

    @Test(arguments: [0, 1001, -1])
    func weightOutOfRange(_ weight: Int) {
        #expect(Self.keyPaths { $0.clusters[0].endpoints[1].weight = weight } == ["clusters[0].endpoints[1].weight"])
    }

    @Test func weightBoundsAreAccepted() {
        #expect(Self.keyPaths { $0.clusters[0].endpoints[0].weight = 1; $0.clusters[0].endpoints[1].weight = 1000 } == [])
    }

    @Test func endpointMaxConnectionsPositive() {
        #expect(Self.keyPaths { $0.clusters[0].endpoints[0].maxConnections = 0 } == ["clusters[0].endpoints[0].max_connections"])
    }

    @Test(arguments: [1.0, 0.5, 100.5, Double.nan, Double.infinity])
    func balanceFactorOutOfRange(_ factor: Double) {
        #expect(Self.keyPaths { $0.clusters[0].balanceFactor = factor } == ["clusters[0].balance_factor"])
    }

    @Test func balanceFactorBoundsAreAccepted() {
        #expect(Self.keyPaths { $0.clusters[0].balanceFactor = 100 } == [])
        #expect(Self.keyPaths { $0.clusters[0].balanceFactor = 1.01 } == [])
    }

    @Test func retriesRange() {
        #expect(Self.keyPaths { $0.clusters[0].retries = 11 } == ["clusters[0].retries"])
        #expect(Self.keyPaths { $0.clusters[0].retries = -1 } == ["clusters[0].retries"])
        #expect(Self.keyPaths { $0.clusters[0].retries = 0 } == [])
        #expect(Self.keyPaths { $0.clusters[0].retries = 10 } == [])
    }

    @Test func durationsThatMustBePositive() {
        #expect(Self.keyPaths { $0.clusters[0].connectTimeout = .zero } == ["clusters[0].connect_timeout"])
        #expect(Self.keyPaths { $0.clusters[0].drainWindow = .seconds(-1) } == ["clusters[0].drain_window"])
        #expect(Self.keyPaths { $0.clusters[0].drainWindow = .zero } == [])
        #expect(Self.keyPaths { $0.clusters[0].keepAlive.timeout = .zero } == ["clusters[0].keepalive.timeout"])
        #expect(Self.keyPaths { $0.clusters[0].keepAlive = .init(interval: .zero, timeout: .zero) } == [])
        #expect(Self.keyPaths { $0.shutdownDrainWindow = .seconds(-1) } == ["shutdown_drain_window"])
    }

    @Test func healthCheckRules() {
        #expect(Self.keyPaths { $0.clusters[0].healthCheck?.rise = 0 } == ["clusters[0].health_check.rise"])
        #expect(Self.keyPaths { $0.clusters[0].healthCheck?.fall = 0 } == ["clusters[0].health_check.fall"])
        #expect(Self.keyPaths { $0.clusters[0].healthCheck?.path = "health" } == ["clusters[0].health_check.path"])
        #expect(Self.keyPaths { $0.clusters[0].healthCheck?.timeout = .seconds(5) } == ["clusters[0].health_check.timeout"])
        #expect(Self.keyPaths { $0.clusters[0].healthCheck?.interval = .zero } == ["clusters[0].health_check.interval"])
        #expect(Self.keyPaths { $0.clusters[0].healthCheck?.expectedStatus = 99...200 } == ["clusters[0].health_check.expected_status"])
    }

    @Test func outlierDetectionRules() {
        #expect(Self.keyPaths { $0.clusters[0].outlierDetection.consecutiveFailures = 0 } == ["clusters[0].outlier_detection.consecutive_failures"])
        #expect(Self.keyPaths { $0.clusters[0].outlierDetection.maxEjectionTime = .seconds(1) } == ["clusters[0].outlier_detection.max_ejection_time"])
    }

    // MARK: Session mode

    @Test func sessionDefaultsAndBoundsAreAccepted() {
        #expect(Self.keyPaths { $0.listeners[0].routes[0].mode = .session } == [])
        let low = SessionModeConfiguration(migrationRate: 0.01, rebindTimeout: .milliseconds(1), maxInFlight: 1, maxBufferedBytes: 4_096)
        #expect(Self.keyPaths { $0.clusters[0].session = low } == [])
        let high = SessionModeConfiguration(migrationRate: 100_000, rebindTimeout: .seconds(600), maxInFlight: 100_000, maxBufferedBytes: 1 << 30)
        #expect(Self.keyPaths { $0.clusters[0].session = high } == [])
    }

    @Test func sessionRanges() {
        let path = "clusters[0].session"
        for rate in [0, -1, 100_000.5, Double.nan, Double.infinity] {
            #expect(Self.keyPaths { $0.clusters[0].session.migrationRate = rate } == ["\(path).migration_rate"])
        }
        for timeout in [Duration.zero, .seconds(-1), .seconds(600) + .milliseconds(1)] {
            #expect(Self.keyPaths { $0.clusters[0].session.rebindTimeout = timeout } == ["\(path).rebind_timeout"])
        }
        for inFlight in [0, -1, 100_001] {
            #expect(Self.keyPaths { $0.clusters[0].session.maxInFlight = inFlight } == ["\(path).max_in_flight"])
        }
        for bytes in [4_095, 0, (1 << 30) + 1] {
            #expect(Self.keyPaths { $0.clusters[0].session.maxBufferedBytes = bytes } == ["\(path).max_buffered_bytes"])
        }
        let issue = GatewayConfigurationValidator.validate({
            var configuration = Self.valid()
            configuration.clusters[0].session.migrationRate = 0
            return configuration
        }()).first
        #expect(issue?.message == "must be greater than 0 and at most 100000 sessions per second (got 0.0)")
    }

    // MARK: Policies

    @Test func stickyCookieSecretNeeds32Bytes() {
        let short = Self.keyPaths { $0.clusters[0].policy = .stickyCookie(.init(secret: String(repeating: "x", count: 31))) }
        #expect(short == ["clusters[0].sticky_cookie.secret"])
        let enough = Self.keyPaths { $0.clusters[0].policy = .stickyCookie(.init(secret: String(repeating: "x", count: 32))) }
        #expect(enough == [])
    }

    @Test(arguments: ["", "a b", "a;b", "a=b", "é", "a,b"])
    func stickyCookieNameMustBeAToken(_ name: String) {
        let paths = Self.keyPaths {
            $0.clusters[0].policy = .stickyCookie(.init(name: name, secret: String(repeating: "x", count: 32)))
        }
        #expect(paths == ["clusters[0].sticky_cookie.name"])
    }

    @Test func stickyCookieMaxAgePositive() {
        let paths = Self.keyPaths {
            $0.clusters[0].policy = .stickyCookie(.init(secret: String(repeating: "x", count: 32), maxAge: .zero))
        }
        #expect(paths == ["clusters[0].sticky_cookie.max_age"])
    }

    @Test func hashKeyNames() {
        #expect(Self.keyPaths { $0.clusters[0].policy = .headerHash(name: "") } == ["clusters[0].hash_key"])
        #expect(Self.keyPaths { $0.clusters[0].policy = .headerHash(name: "X User") } == ["clusters[0].hash_key"])
        #expect(Self.keyPaths { $0.clusters[0].policy = .queryHash(name: "") } == ["clusters[0].hash_key"])
        #expect(Self.keyPaths { $0.clusters[0].policy = .cookieHash(name: "") } == ["clusters[0].hash_key"])
        #expect(Self.keyPaths { $0.clusters[0].policy = .headerHash(name: "X-User") } == [])
        #expect(Self.keyPaths { $0.clusters[0].policy = .queryHash(name: "user id") } == [])
        #expect(Self.keyPaths { $0.clusters[0].policy = .cookieHash(name: "sid") } == [])
    }

    // MARK: Upstream TLS and limits

    @Test func upstreamTLSKeyAndCertificateGoTogether() {
        #expect(Self.keyPaths { $0.clusters[0].upstreamTLS = .init(certificateFile: "/c.pem") } == ["clusters[0].upstream_tls.key"])
        #expect(Self.keyPaths { $0.clusters[0].upstreamTLS = .init(privateKeyFile: "/k.pem") } == ["clusters[0].upstream_tls.certificate"])
        #expect(Self.keyPaths { $0.clusters[0].upstreamTLS = .init(certificateFile: "/c.pem", privateKeyFile: "/k.pem") } == [])
        #expect(Self.keyPaths { $0.clusters[0].upstreamTLS = .init(caFile: "/ca.pem") } == [])
    }

    @Test func limitsMustBePositive() {
        #expect(Self.keyPaths { $0.limits.maxConnections = 0 } == ["limits.max_connections"])
        #expect(Self.keyPaths { $0.limits.maxConnectionsPerIP = -3 } == ["limits.max_connections_per_ip"])
        #expect(Self.keyPaths { $0.limits.maxRequestHeadBytes = 0 } == ["limits.max_request_head_bytes"])
        #expect(Self.keyPaths { $0.limits.requestHeadTimeout = .zero } == ["limits.request_head_timeout"])
        #expect(Self.keyPaths { $0.limits.upgradesPerIPPerSecond = 0 } == ["limits.upgrades_per_ip_per_second"])
        #expect(Self.keyPaths { $0.limits.upgradeBurst = 10 } == ["limits.upgrade_burst"])
        #expect(Self.keyPaths { $0.limits.upgradesPerIPPerSecond = 20; $0.limits.upgradeBurst = 40 } == [])
    }

    @Test func adminTokenMustNotBeEmpty() {
        #expect(Self.keyPaths { $0.admin?.token = "" } == ["admin.token"])
    }

    @Test func reportsEveryIssueInDocumentOrder() {
        let paths = Self.keyPaths {
            $0.limits.maxConnections = 0
            $0.listeners[0].routes[0].cluster = "nope"
            $0.clusters[0].retries = 99
            $0.clusters[0].endpoints[0].weight = 0
        }
        #expect(paths == ["limits.max_connections", "listeners[0].routes[0].cluster", "clusters[0].retries", "clusters[0].endpoints[0].weight"])
    }
}
