import Foundation
import TetherGatewayCore
import Testing

@testable import TetherCommand

@Suite struct GatewayConfigurationLoaderTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let secret = "0123456789abcdef0123456789abcdef"

    /// A minimal valid document with `cluster` spliced into the single cluster's mapping.
    static func document(cluster extra: String = "", endpoints: String = "      - \"127.0.0.1:9001\"") -> String {
        """
        listeners:
          - name: public
            listen: "127.0.0.1:8080"
            routes:
              - cluster: app
        clusters:
          - name: app
        \(extra.split(separator: "\n", omittingEmptySubsequences: false).map { "    \($0)" }.joined(separator: "\n"))
            endpoints:
        \(endpoints)
        """
    }

    /// The issues `yaml` is rejected with; records a failure if it is accepted.
    static func issues(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> [ConfigurationIssue] {
        do {
            _ = try GatewayConfigurationLoader.decode(yaml: yaml, baseDirectory: "/etc/tether")
            Issue.record("expected the configuration to be rejected", sourceLocation: sourceLocation)
            return []
        } catch let error as ConfigurationLoadError {
            return error.issues
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
            return []
        }
    }

    static func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tether-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory)
    }

    // MARK: Examples

    @Test func quickStartExampleLoads() throws {
        let path = Self.packageRoot.appendingPathComponent("examples/gateway.yaml").path
        let configuration = try GatewayConfigurationLoader.load(path: path)

        #expect(configuration.admin?.address == HostAndPort(host: "127.0.0.1", port: 9901))
        #expect(configuration.listeners.count == 1)
        let listener = try #require(configuration.listeners.first)
        #expect(listener.address == HostAndPort(host: "127.0.0.1", port: 8080))
        #expect(listener.routes == [RouteConfiguration(pathPrefix: "/", cluster: "echo")])
        let cluster = try #require(configuration.cluster(named: "echo"))
        #expect(cluster.endpoints.map(\.address) == [HostAndPort(host: "127.0.0.1", port: 9001), HostAndPort(host: "127.0.0.1", port: 9002)])
        guard case .stickyCookie(let sticky) = cluster.policy else {
            Issue.record("expected sticky_cookie, got \(cluster.policy)")
            return
        }
        #expect(sticky.secret.utf8.count >= 32)
        #expect(cluster.healthCheck?.path == "/health")
        #expect(cluster.healthCheck?.interval == .seconds(2))
        #expect(cluster.drainWindow == .seconds(10))
    }

    /// gateway-full.yaml promises every key at its default: it must decode to the model's defaults.
    @Test func fullExampleLoadsAndEqualsTheDefaults() throws {
        let path = Self.packageRoot.appendingPathComponent("examples/gateway-full.yaml").path
        let configuration = try GatewayConfigurationLoader.load(path: path)

        let expected = GatewayConfiguration(
            listeners: [
                ListenerConfiguration(
                    name: "public",
                    address: HostAndPort(host: "127.0.0.1", port: 8080),
                    routes: [RouteConfiguration(cluster: "app")]
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
        #expect(configuration == expected)
    }

    @Test func checkReportsASummaryForAValidFile() {
        let path = Self.packageRoot.appendingPathComponent("examples/gateway.yaml").path
        let result = GatewayConfigurationLoader.check(path: path)
        #expect(result.ok)
        #expect(result.report.contains("1 listener, 1 route, 1 cluster, 2 endpoints"))
        #expect(result.report.contains("127.0.0.1:9002"))
        #expect(!result.report.contains("demo-secret"))
    }

    @Test func checkReportsEveryIssueForAnInvalidFile() throws {
        try Self.withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("bad.yaml")
            try Self.document(cluster: "policy: round-robbin\nretriez: 3").write(to: file, atomically: true, encoding: .utf8)
            let result = GatewayConfigurationLoader.check(path: file.path)
            #expect(!result.ok)
            #expect(result.report.hasPrefix("\(file.path): invalid gateway configuration (2 problems):"))
            #expect(result.report.contains("clusters[0].policy: unknown policy \"round-robbin\"; expected one of round_robin, least_connections"))
            #expect(result.report.contains("clusters[0].retriez: unknown key \"retriez\"; did you mean \"retries\"?"))
        }
        #expect(GatewayConfigurationLoader.invalidConfigurationExitCode == 2)
    }

    // MARK: Decoding

    @Test func decodesEveryKey() throws {
        let yaml = """
            admin: { listen: "[::1]:9901", token: s3cret }
            shutdown_drain_window: 15s
            limits:
              request_head_timeout: 5s
              max_request_head_bytes: 8_192
              max_request_body_bytes: 1024
              idle_timeout: 10m
              http_keep_alive_timeout: 30
              max_connections: 1000
              max_connections_per_ip: 010
              upgrades_per_ip_per_second: 2.5
              upgrade_burst: 5
            listeners:
              - name: edge
                listen: "0.0.0.0:8443"
                proxy_protocol: true
                trusted_proxies: ["10.0.0.0/8", "::1"]
                tls: { certificate: certs/cert.pem, key: /abs/key.pem }
                routes:
                  - { host: "*.example.com", path_prefix: /ws, cluster: app, mode: tunnel }
                  - { host: "*", cluster: app }
            clusters:
              - name: app
                policy: header_hash
                hash_key: X-User
                balance_factor: 1.5
                retries: 0
                connect_timeout: 250ms
                drain_window: 1m
                slow_start: 20s
                keepalive: { interval: 0, timeout: 1s }
                health_check: { path: /ready, interval: 10s, timeout: 3s, expected_status: "200-399", rise: 1, fall: 5 }
                outlier_detection: { consecutive_failures: 4, base_ejection_time: 2s, max_ejection_time: 1h }
                upstream_tls: { ca: ../ca.pem, certificate: c.pem, key: k.pem, server_name: app.internal }
                endpoints:
                  - { address: "127.0.0.1:9001", weight: 5, max_connections: 100, state: drain }
                  - "localhost:9002"
            """
        let configuration = try GatewayConfigurationLoader.decode(yaml: yaml, baseDirectory: "/etc/tether")

        #expect(configuration.admin == AdminConfiguration(address: HostAndPort(host: "::1", port: 9901), token: "s3cret"))
        #expect(configuration.shutdownDrainWindow == .seconds(15))
        #expect(
            configuration.limits
                == LimitsConfiguration(
                    requestHeadTimeout: .seconds(5), maxRequestHeadBytes: 8192, maxRequestBodyBytes: 1024,
                    idleTimeout: .seconds(600), httpKeepAliveTimeout: .seconds(30), maxConnections: 1000,
                    maxConnectionsPerIP: 10, upgradesPerIPPerSecond: 2.5, upgradeBurst: 5
                )
        )
        let listener = try #require(configuration.listeners.first)
        #expect(listener.name == "edge")
        #expect(listener.proxyProtocol)
        #expect(listener.trustedProxies == [CIDR(parsing: "10.0.0.0/8"), CIDR(parsing: "::1")].compactMap { $0 })
        #expect(listener.tls == ServerTLSConfiguration(certificateFile: "/etc/tether/certs/cert.pem", privateKeyFile: "/abs/key.pem"))
        #expect(
            listener.routes == [
                RouteConfiguration(host: "*.example.com", pathPrefix: "/ws", cluster: "app"),
                RouteConfiguration(host: nil, pathPrefix: "/", cluster: "app"),
            ]
        )
        let cluster = try #require(configuration.clusters.first)
        #expect(cluster.policy == .headerHash(name: "X-User"))
        #expect(cluster.balanceFactor == 1.5)
        #expect(cluster.retries == 0)
        #expect(cluster.connectTimeout == .milliseconds(250))
        #expect(cluster.drainWindow == .seconds(60))
        #expect(cluster.slowStart == .seconds(20))
        #expect(cluster.keepAlive == KeepAliveConfiguration(interval: .zero, timeout: .seconds(1)))
        #expect(
            cluster.healthCheck
                == HealthCheckConfiguration(path: "/ready", interval: .seconds(10), timeout: .seconds(3), expectedStatus: 200...399, rise: 1, fall: 5)
        )
        #expect(cluster.outlierDetection == OutlierDetectionConfiguration(consecutiveFailures: 4, baseEjectionTime: .seconds(2), maxEjectionTime: .seconds(3600)))
        #expect(
            cluster.upstreamTLS
                == UpstreamTLSConfiguration(caFile: "/etc/ca.pem", certificateFile: "/etc/tether/c.pem", privateKeyFile: "/etc/tether/k.pem", serverName: "app.internal")
        )
        #expect(
            cluster.endpoints == [
                EndpointConfiguration(address: HostAndPort(host: "127.0.0.1", port: 9001), weight: 5, maxConnections: 100, state: .drain),
                EndpointConfiguration(address: HostAndPort(host: "localhost", port: 9002)),
            ]
        )
    }

    @Test func shorthandEndpointsTakeDefaults() throws {
        let configuration = try GatewayConfigurationLoader.decode(
            yaml: Self.document(endpoints: "      - \"127.0.0.1:9001\"\n      - \"[::1]:9002\""),
            baseDirectory: nil
        )
        #expect(
            configuration.clusters.first?.endpoints == [
                EndpointConfiguration(address: HostAndPort(host: "127.0.0.1", port: 9001)),
                EndpointConfiguration(address: HostAndPort(host: "::1", port: 9002)),
            ]
        )
    }

    @Test func policies() throws {
        func policy(_ extra: String) throws -> BalancingPolicyConfiguration? {
            try GatewayConfigurationLoader.decode(yaml: Self.document(cluster: extra), baseDirectory: nil).clusters.first?.policy
        }
        #expect(try policy("") == .roundRobin)
        #expect(try policy("policy: least_connections") == .leastConnections)
        #expect(try policy("policy: random") == .random)
        #expect(try policy("policy: ip_hash") == .clientIPHash)
        #expect(try policy("policy: query_hash\nhash_key: room") == .queryHash(name: "room"))
        #expect(try policy("policy: cookie_hash\nhash_key: sid") == .cookieHash(name: "sid"))
        #expect(
            try policy("policy: sticky_cookie\nsticky_cookie: { secret: \(Self.secret), name: aff, epoch: 3, max_age: 2d }")
                == .stickyCookie(StickyCookieConfiguration(name: "aff", secret: Self.secret, epoch: 3, maxAge: .seconds(172_800)))
        )
    }

    @Test func nullValuesTakeDefaults() throws {
        let configuration = try GatewayConfigurationLoader.decode(
            yaml: Self.document(cluster: "retries: ~\nconnect_timeout:\npolicy: null"),
            baseDirectory: nil
        )
        #expect(configuration.clusters.first == ClusterConfiguration(name: "app", endpoints: [EndpointConfiguration(address: HostAndPort(host: "127.0.0.1", port: 9001))]))
    }

    @Test func healthCheckTimeoutDefaultsToHalfAShortInterval() throws {
        let configuration = try GatewayConfigurationLoader.decode(yaml: Self.document(cluster: "health_check: { interval: 1s }"), baseDirectory: nil)
        #expect(configuration.clusters.first?.healthCheck?.timeout == .milliseconds(500))
        let longer = try GatewayConfigurationLoader.decode(yaml: Self.document(cluster: "health_check: { interval: 1m }"), baseDirectory: nil)
        #expect(longer.clusters.first?.healthCheck?.timeout == .seconds(2))
    }

    @Test func mergeKeysShareSettings() throws {
        let yaml = """
            listeners:
              - { name: public, listen: "127.0.0.1:8080", routes: [{ cluster: a }, { cluster: b, path_prefix: /b }] }
            clusters:
              - &base { name: a, retries: 5, connect_timeout: 1s, endpoints: ["127.0.0.1:9001"] }
              - { <<: *base, name: b }
            """
        let configuration = try GatewayConfigurationLoader.decode(yaml: yaml, baseDirectory: nil)
        let b = try #require(configuration.cluster(named: "b"))
        #expect(b.retries == 5)
        #expect(b.connectTimeout == .seconds(1))
        #expect(b.endpoints.map(\.address.port) == [9001])
    }

    // MARK: Session mode

    @Test func routeModeSessionParses() throws {
        let yaml = Self.document().replacingOccurrences(of: "- cluster: app", with: "- { cluster: app, mode: session }")
        let configuration = try GatewayConfigurationLoader.decode(yaml: yaml, baseDirectory: nil)
        #expect(configuration.listeners.first?.routes == [RouteConfiguration(cluster: "app", mode: .session)])
        #expect(configuration.summary.contains("-> cluster app (session)"))
        #expect(configuration.summary.contains("  session: migration_rate 50/s, rebalance off, rebind_timeout 10s"))

        let tunnel = try GatewayConfigurationLoader.decode(yaml: Self.document(), baseDirectory: nil)
        #expect(!tunnel.summary.contains("session:"))

        let unknown = Self.issues(Self.document().replacingOccurrences(of: "- cluster: app", with: "- { cluster: app, mode: sessions }"))
        #expect(unknown.map(\.keyPath) == ["listeners[0].routes[0].mode"])
        #expect(unknown.first?.message.hasPrefix("unknown mode \"sessions\"; expected one of tunnel, session") == true)
    }

    @Test func sessionBlockParses() throws {
        let block = "session: { migration_rate: 12.5, rebalance: true, rebind_timeout: 2500ms, max_in_flight: 64, max_buffered_bytes: 65_536 }"
        let configuration = try GatewayConfigurationLoader.decode(yaml: Self.document(cluster: block), baseDirectory: nil)
        #expect(
            configuration.clusters.first?.session
                == SessionModeConfiguration(migrationRate: 12.5, rebalance: true, rebindTimeout: .milliseconds(2500), maxInFlight: 64, maxBufferedBytes: 65_536)
        )

        let partial = try GatewayConfigurationLoader.decode(yaml: Self.document(cluster: "session: { rebalance: yes }"), baseDirectory: nil)
        #expect(partial.clusters.first?.session == SessionModeConfiguration(rebalance: true))
        let absent = try GatewayConfigurationLoader.decode(yaml: Self.document(), baseDirectory: nil)
        #expect(absent.clusters.first?.session == SessionModeConfiguration())
    }

    @Test func sessionBlockErrorsNameTheKeyPath() {
        let typo = Self.issues(Self.document(cluster: "session: { migration_rat: 10 }"))
        #expect(typo.map(\.keyPath) == ["clusters[0].session.migration_rat"])
        #expect(typo.first?.message.contains("did you mean \"migration_rate\"?") == true)

        #expect(Self.issues(Self.document(cluster: "session: 5")).map(\.keyPath) == ["clusters[0].session"])
        #expect(Self.issues(Self.document(cluster: "session: { rebalance: maybe }")).map(\.keyPath) == ["clusters[0].session.rebalance"])
        #expect(Self.issues(Self.document(cluster: "session: { rebind_timeout: soon }")).map(\.keyPath) == ["clusters[0].session.rebind_timeout"])
        #expect(Self.issues(Self.document(cluster: "session: { max_in_flight: 1.5 }")).map(\.keyPath) == ["clusters[0].session.max_in_flight"])
    }

    @Test(arguments: [
        ("migration_rate: 0", "migration_rate"), ("migration_rate: 100001", "migration_rate"),
        ("rebind_timeout: 0", "rebind_timeout"), ("rebind_timeout: 601s", "rebind_timeout"),
        ("max_in_flight: 0", "max_in_flight"), ("max_in_flight: 100001", "max_in_flight"),
        ("max_buffered_bytes: 4095", "max_buffered_bytes"), ("max_buffered_bytes: 1073741825", "max_buffered_bytes"),
    ])
    func sessionValuesOutOfRangeNameTheKeyPath(_ setting: String, _ key: String) {
        let issues = Self.issues(Self.document(cluster: "session: { \(setting) }"))
        #expect(issues.map(\.keyPath) == ["clusters[0].session.\(key)"])
    }

    // MARK: Durations

    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)), ("10s", .seconds(10)), ("2m", .seconds(120)), ("1h", .seconds(3600)),
        ("1d", .seconds(86_400)), ("1.5s", .milliseconds(1500)), ("0.1s", .milliseconds(100)), ("10", .seconds(10)),
        ("0.5", .milliseconds(500)), ("0", .zero), ("1.5m", .seconds(90)), ("0.5ms", .microseconds(500)),
    ])
    func parsesDurations(_ text: String, _ expected: Duration) throws {
        #expect(try DurationParser.parse(text).get() == expected)
    }

    @Test(arguments: ["", "s", "10x", "-5s", "1e3", "1.2345s", ".5s", "5.s", "ten", "99999999999999999999s", "4000d"])
    func rejectsBadDurations(_ text: String) {
        #expect(throws: DurationParseError.self) { try DurationParser.parse(text).get() }
    }

    @Test func durationsInYAML() throws {
        let configuration = try GatewayConfigurationLoader.decode(
            yaml: Self.document(cluster: "connect_timeout: 1500ms\ndrain_window: 2\nslow_start: 0.25"),
            baseDirectory: nil
        )
        let cluster = try #require(configuration.clusters.first)
        #expect(cluster.connectTimeout == .milliseconds(1500))
        #expect(cluster.drainWindow == .seconds(2))
        #expect(cluster.slowStart == .milliseconds(250))
    }

    // MARK: Errors name the key path

    @Test func unknownPolicy() {
        let issues = Self.issues(Self.document(cluster: "policy: round-robbin"))
        #expect(issues.map(\.keyPath) == ["clusters[0].policy"])
        #expect(
            issues.first?.message
                == "unknown policy \"round-robbin\"; expected one of round_robin, least_connections, random, ip_hash, header_hash, query_hash, cookie_hash, sticky_cookie (line 8)"
        )
    }

    @Test func unknownKeysAreErrorsWithSuggestions() {
        let typo = Self.issues(Self.document(cluster: "retires: 3"))
        #expect(typo.map(\.keyPath) == ["clusters[0].retires"])
        #expect(typo.first?.message.contains("did you mean \"retries\"?") == true)

        let camel = Self.issues(Self.document(cluster: "connectTimeout: 3s"))
        #expect(camel.first?.message.contains("did you mean \"connect_timeout\"?") == true)

        let nested = Self.issues(Self.document(cluster: "health_check: { path: /h, intervall: 5s }"))
        #expect(nested.map(\.keyPath) == ["clusters[0].health_check.intervall"])

        let topLevel = Self.issues("listners: []\n" + Self.document())
        #expect(topLevel.map(\.keyPath) == ["listners"])

        let farOff = Self.issues(Self.document(cluster: "colour: blue"))
        #expect(farOff.first?.message.contains("expected one of name, policy") == true)
    }

    @Test func wrongTypes() {
        #expect(Self.issues(Self.document(cluster: "retries: many")).map(\.keyPath) == ["clusters[0].retries"])
        #expect(Self.issues(Self.document(cluster: "balance_factor: [1]")).map(\.keyPath) == ["clusters[0].balance_factor"])
        #expect(Self.issues(Self.document(cluster: "keepalive: 5s")).map(\.keyPath) == ["clusters[0].keepalive"])
        #expect(Self.issues(Self.document(cluster: "connect_timeout: soon")).map(\.keyPath) == ["clusters[0].connect_timeout"])
        #expect(Self.issues(Self.document(endpoints: "      - \"127.0.0.1\"")).map(\.keyPath) == ["clusters[0].endpoints[0]"])
        #expect(
            Self.issues(Self.document(endpoints: "      - { address: \"127.0.0.1:1\", state: gone }")).map(\.keyPath)
                == ["clusters[0].endpoints[0].state"]
        )
        #expect(
            Self.issues(Self.document(cluster: "health_check: { expected_status: \"500-200\" }")).map(\.keyPath)
                == ["clusters[0].health_check.expected_status"]
        )
        #expect(Self.issues("listeners: {}\n").map(\.keyPath) == ["listeners"])
        #expect(Self.issues("- a\n- b\n").map(\.keyPath) == ["(document)"])
    }

    @Test func missingRequiredKeys() {
        let issues = Self.issues(
            """
            listeners:
              - listen: "127.0.0.1:8080"
                routes: [{ path_prefix: / }]
            clusters: [{ endpoints: ["127.0.0.1:1"] }]
            """
        )
        #expect(issues.map(\.keyPath) == ["listeners[0].name", "listeners[0].routes[0].cluster", "clusters[0].name"])
        #expect(issues.first?.message == "required key is missing (line 2)")
    }

    @Test func policyCompanions() {
        #expect(Self.issues(Self.document(cluster: "policy: header_hash")).map(\.keyPath) == ["clusters[0].hash_key"])
        #expect(Self.issues(Self.document(cluster: "policy: random\nhash_key: X")).map(\.keyPath) == ["clusters[0].hash_key"])
        #expect(Self.issues(Self.document(cluster: "policy: sticky_cookie")).map(\.keyPath) == ["clusters[0].sticky_cookie"])
        #expect(
            Self.issues(Self.document(cluster: "sticky_cookie: { secret: \(Self.secret) }")).map(\.keyPath)
                == ["clusters[0].sticky_cookie"]
        )
        #expect(
            Self.issues(Self.document(cluster: "policy: sticky_cookie\nsticky_cookie: { name: x }")).map(\.keyPath)
                == ["clusters[0].sticky_cookie.secret"]
        )
    }

    @Test func validatorIssuesCarryTheLineOfTheKey() {
        let issues = Self.issues(Self.document(endpoints: "      - { address: \"127.0.0.1:9001\", weight: 0 }"))
        #expect(issues == [ConfigurationIssue(keyPath: "clusters[0].endpoints[0].weight", message: "must be in 1...1000 (got 0) (line 10)")])

        let routeIssues = Self.issues(Self.document().replacingOccurrences(of: "cluster: app", with: "cluster: nope"))
        #expect(routeIssues.map(\.keyPath) == ["listeners[0].routes[0].cluster"])
        #expect(routeIssues.first?.message.hasSuffix("(line 5)") == true)
    }

    @Test func reportsAllSchemaErrorsAtOnce() {
        let issues = Self.issues(Self.document(cluster: "policy: roundrobin\nretries: x\nfoo: 1"))
        // Unknown keys are found when the mapping is opened, then values in schema order.
        #expect(issues.map(\.keyPath) == ["clusters[0].foo", "clusters[0].policy", "clusters[0].retries"])
    }

    @Test func badYAMLNamesTheLine() {
        let issues = Self.issues("listeners:\n  - name: a\n    listen: [oops\nclusters: []\n")
        #expect(issues.count == 1)
        #expect(issues.first?.keyPath.hasPrefix("line ") == true)
        #expect(issues.first?.message.hasPrefix("YAML syntax error") == true)

        let tab = Self.issues("listeners:\n\t- name: a\n")
        #expect(tab.first?.keyPath.hasPrefix("line 2,") == true)

        let duplicate = Self.issues("clusters: []\nlisteners: []\nclusters: []\n")
        #expect(duplicate.first?.keyPath.hasPrefix("line ") == true)
        #expect(duplicate.first?.message.contains("\"clusters\"") == true)
    }

    @Test func emptyFileNeedsAListener() {
        #expect(Self.issues("").map(\.keyPath) == ["listeners"])
    }

    // MARK: Files

    @Test func tlsFilesAreResolvedAgainstTheConfigDirectoryAndMustExist() throws {
        try Self.withTemporaryDirectory { directory in
            let yaml = """
                listeners:
                  - name: tls
                    listen: "127.0.0.1:8443"
                    tls: { certificate: cert.pem, key: keys/key.pem }
                    routes: [{ cluster: app }]
                clusters:
                  - name: app
                    upstream_tls: { ca: ca.pem }
                    endpoints: ["127.0.0.1:9001"]
                """
            let file = directory.appendingPathComponent("gateway.yaml")
            try yaml.write(to: file, atomically: true, encoding: .utf8)

            do {
                _ = try GatewayConfigurationLoader.load(path: file.path)
                Issue.record("expected missing files to be reported")
            } catch let error as ConfigurationLoadError {
                #expect(error.issues.map(\.keyPath) == ["listeners[0].tls.certificate", "listeners[0].tls.key", "clusters[0].upstream_tls.ca"])
                #expect(error.issues.first?.message.contains(directory.appendingPathComponent("cert.pem").standardizedFileURL.path) == true)
                #expect(error.file == file.path)
            }

            try FileManager.default.createDirectory(at: directory.appendingPathComponent("keys"), withIntermediateDirectories: true)
            for name in ["cert.pem", "keys/key.pem", "ca.pem"] {
                try "PEM".write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
            let configuration = try GatewayConfigurationLoader.load(path: file.path)
            let base = directory.standardizedFileURL.path
            #expect(configuration.listeners.first?.tls == ServerTLSConfiguration(certificateFile: base + "/cert.pem", privateKeyFile: base + "/keys/key.pem"))
            #expect(configuration.clusters.first?.upstreamTLS?.caFile == base + "/ca.pem")
        }
    }

    @Test func missingConfigFile() {
        #expect(throws: ConfigurationLoadError.self) { try GatewayConfigurationLoader.load(path: "/nonexistent/tether.yaml") }
        let result = GatewayConfigurationLoader.check(path: "/nonexistent/tether.yaml")
        #expect(!result.ok)
        #expect(result.report.contains("does not exist"))
    }
}
