import Foundation
import NIOSSL
import TetherCore
import TetherGatewayCore
import TetherRedis
import TetherRedisEngine
import Testing

@testable import TetherCommand

/// `tether node`'s YAML loader: the examples, the engine section (memory and Redis) and its errors, and the
/// command line's `--name`/`--listen` overrides. Pure: nothing connects to Redis.
@Suite struct NodeConfigurationLoaderTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// PEM files shared with the gateway's TLS tests (a CA, and a client certificate and key it signed).
    static let tlsFixtures = packageRoot.appendingPathComponent("Tests/TetherGatewayTests/Fixtures/tls").path

    /// A minimal valid node document with `engine` as its engine section (YAML, indented by the caller).
    static func document(engine: String) -> String {
        """
        name: n1
        listen: 127.0.0.1:8000
        auth:
          allow_anonymous: true
        \(engine)
        """
    }

    static func decode(_ yaml: String, environment: [String: String] = [:]) throws -> NodeFileConfiguration {
        try NodeConfigurationLoader.decode(yaml: yaml, baseDirectory: tlsFixtures, environment: environment)
    }

    /// The Redis engine configuration `yaml` decodes to; records a failure for any other engine.
    static func redis(_ yaml: String, environment: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) throws -> RedisEngineConfiguration? {
        let file = try decode(yaml, environment: environment)
        guard case .redis(let configuration) = file.engine else {
            Issue.record("expected the redis engine, got \(file.engine.typeName)", sourceLocation: sourceLocation)
            return nil
        }
        return configuration
    }

    /// The issues `yaml` is rejected with; records a failure if it is accepted.
    static func issues(_ yaml: String, environment: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) -> [ConfigurationIssue] {
        do {
            _ = try decode(yaml, environment: environment)
            Issue.record("expected the configuration to be rejected", sourceLocation: sourceLocation)
            return []
        } catch let error as ConfigurationLoadError {
            return error.issues
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
            return []
        }
    }

    // MARK: Examples

    @Test func memoryExampleLoads() throws {
        let file = try NodeConfigurationLoader.load(path: Self.packageRoot.appendingPathComponent("examples/node.yaml").path, environment: [:])
        guard case .memory = file.engine else {
            Issue.record("examples/node.yaml should use the memory engine, got \(file.engine.typeName)")
            return
        }
        #expect(file.node.name == "node-1")
        #expect(file.listen == HostAndPort(host: "127.0.0.1", port: 8000))
        #expect(file.summary.contains("engine: memory"))
    }

    @Test func redisExampleLoadsWithItsPasswordFromTheEnvironment() throws {
        let path = Self.packageRoot.appendingPathComponent("examples/node-redis.yaml").path
        let file = try NodeConfigurationLoader.load(path: path, environment: [:])
        guard case .redis(let configuration) = file.engine else {
            Issue.record("examples/node-redis.yaml should use the redis engine, got \(file.engine.typeName)")
            return
        }
        #expect(configuration.redis.host == "127.0.0.1")
        #expect(configuration.redis.port == 6379)
        #expect(configuration.prefix == "tether")
        #expect(configuration.redis.password == nil)
        #expect(file.node.auth.allowAnonymous)
        #expect(file.node.namespaces["chat"] != nil)
        #expect(file.listen == HostAndPort(host: "127.0.0.1", port: 9001))

        // The example's commented-out password_env line, switched on, reads the variable.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let enabled = text.replacingOccurrences(of: "    # password_env: REDIS_PASSWORD", with: "    password_env: REDIS_PASSWORD")
        #expect(enabled != text, "the example should show password_env (commented out)")
        let withPassword = try NodeConfigurationLoader.decode(yaml: enabled, baseDirectory: "/", environment: ["REDIS_PASSWORD": "s3cret-value"])
        guard case .redis(let secured) = withPassword.engine else {
            Issue.record("expected the redis engine")
            return
        }
        #expect(secured.redis.password == "s3cret-value")
        #expect(!withPassword.summary.contains("s3cret-value"))
    }

    @Test func checkConfigSummaryNamesTheEngineAndAddressButNeverThePassword() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tether-node-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("node.yaml").path
        let yaml = Self.document(engine: """
            engine:
              type: redis
              redis:
                address: "10.1.2.3:6380"
                username: app
                password: "hunter2-hunter2"
                database: 3
            """)
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)

        let (ok, report) = NodeConfigurationLoader.check(path: path)
        #expect(ok)
        #expect(report.contains("redis at 10.1.2.3:6380"))
        #expect(report.contains("db 3"))
        #expect(report.contains("user app"))
        #expect(report.contains("password set"))
        #expect(!report.contains("hunter2"))
    }

    // MARK: Engine: memory

    @Test func engineDefaultsToMemory() throws {
        let file = try Self.decode(Self.document(engine: ""))
        guard case .memory = file.engine else {
            Issue.record("expected memory, got \(file.engine.typeName)")
            return
        }
        #expect(file.engineSummary == "memory")
    }

    @Test func redisMappingUnderMemoryIsAnError() {
        let explicit = Self.issues(Self.document(engine: """
            engine:
              type: memory
              redis:
                address: "127.0.0.1:6379"
            """))
        #expect(explicit.map(\.keyPath) == ["engine.redis"])
        #expect(explicit.first?.message.contains("type: redis") == true)

        let implicit = Self.issues(Self.document(engine: """
            engine:
              redis: { prefix: x }
            """))
        #expect(implicit.map(\.keyPath) == ["engine.redis"])
    }

    @Test func unknownEngineTypeListsTheChoices() {
        let issues = Self.issues(Self.document(engine: "engine: { type: postgres }"))
        #expect(issues.map(\.keyPath) == ["engine.type"])
        #expect(issues.first?.message.contains("expected one of memory, redis") == true)
    }

    // MARK: Engine: redis

    @Test func redisDefaults() throws {
        let bare = try #require(try Self.redis(Self.document(engine: "engine: { type: redis }")))
        let empty = try #require(try Self.redis(Self.document(engine: "engine:\n  type: redis\n  redis:\n")))
        let defaults = RedisConfiguration()
        for configuration in [bare, empty] {
            #expect(configuration.redis.host == "127.0.0.1")
            #expect(configuration.redis.port == 6379)
            #expect(configuration.redis.username == nil)
            #expect(configuration.redis.password == nil)
            #expect(configuration.redis.database == 0)
            #expect(configuration.redis.tls == nil)
            #expect(configuration.redis.poolSize == defaults.poolSize)
            #expect(configuration.redis.connectTimeout == defaults.connectTimeout)
            #expect(configuration.redis.commandTimeout == defaults.commandTimeout)
            #expect(configuration.prefix == "tether")
            #expect(configuration.shardedPubSub == false)
        }
    }

    @Test func redisEveryKey() throws {
        let configuration = try #require(try Self.redis(Self.document(engine: """
            engine:
              type: redis
              redis:
                address: "[::1]:7000"
                username: tether
                password_env: TETHER_REDIS_PASSWORD
                database: 2
                pool_size: 8
                connect_timeout: 1500ms
                command_timeout: 3s
                prefix: "prod:eu-1"
                sharded_pubsub: true
            """), environment: ["TETHER_REDIS_PASSWORD": "from-the-env"]))
        #expect(configuration.redis.host == "::1")
        #expect(configuration.redis.port == 7000)
        #expect(configuration.redis.username == "tether")
        #expect(configuration.redis.password == "from-the-env")
        #expect(configuration.redis.database == 2)
        #expect(configuration.redis.poolSize == 8)
        #expect(configuration.redis.connectTimeout == .milliseconds(1500))
        #expect(configuration.redis.commandTimeout == .seconds(3))
        #expect(configuration.prefix == "prod:eu-1")
        #expect(configuration.shardedPubSub)
    }

    @Test func plainPasswordIsUsedButNeverSummarised() throws {
        let yaml = Self.document(engine: """
            engine:
              type: redis
              redis: { password: "pa55word-in-file" }
            """)
        let configuration = try #require(try Self.redis(yaml))
        #expect(configuration.redis.password == "pa55word-in-file")
        let file = try Self.decode(yaml)
        #expect(file.summary.contains("redis at 127.0.0.1:6379"))
        #expect(!file.summary.contains("pa55word"))
    }

    @Test func tlsWithCAServerNameAndClientCertificate() throws {
        let configuration = try #require(try Self.redis(Self.document(engine: """
            engine:
              type: redis
              redis:
                address: "127.0.0.1:6380"
                tls:
                  enabled: true
                  ca_file: ca.pem
                  server_name: redis.internal
                  cert_file: client.pem
                  key_file: \(Self.tlsFixtures)/client.key
            """)))
        let tls = try #require(configuration.redis.tls)
        let ca = try NIOSSLCertificate.fromPEMFile("\(Self.tlsFixtures)/ca.pem")
        #expect(tls.trustRoots == .certificates(ca))
        let client = try NIOSSLCertificate.fromPEMFile("\(Self.tlsFixtures)/client.pem")
        #expect(tls.certificateChain == client.map { .certificate($0) })
        #expect(tls.privateKey != nil)
        #expect(configuration.redis.serverHostname == "redis.internal")
        #expect(try Self.decode(Self.document(engine: """
            engine:
              type: redis
              redis: { tls: { enabled: true, server_name: redis.internal } }
            """)).engineSummary.contains("TLS (server name redis.internal)"))
    }

    @Test func tlsWithoutCAUsesTheSystemRoots() throws {
        let configuration = try #require(try Self.redis(Self.document(engine: """
            engine:
              type: redis
              redis: { tls: { enabled: true } }
            """)))
        let tls = try #require(configuration.redis.tls)
        #expect(tls.trustRoots == .default)
        #expect(tls.certificateChain.isEmpty)
        #expect(configuration.redis.serverHostname == nil)
    }

    @Test func tlsDisabledIsNoTLS() throws {
        let configuration = try #require(try Self.redis(Self.document(engine: """
            engine:
              type: redis
              redis: { tls: { enabled: false } }
            """)))
        #expect(configuration.redis.tls == nil)
    }

    // MARK: Engine: redis errors

    @Test(arguments: [
        ("address: localhost", "engine.redis.address"),
        ("address: \"127.0.0.1:0\"", "engine.redis.address"),
        ("address: \"127.0.0.1:70000\"", "engine.redis.address"),
        ("database: -1", "engine.redis.database"),
        ("database: two", "engine.redis.database"),
        ("pool_size: 0", "engine.redis.pool_size"),
        ("pool_size: 5000", "engine.redis.pool_size"),
        ("connect_timeout: 0s", "engine.redis.connect_timeout"),
        ("connect_timeout: soon", "engine.redis.connect_timeout"),
        ("command_timeout: 0", "engine.redis.command_timeout"),
        ("command_timeout: -1s", "engine.redis.command_timeout"),
        ("prefix: \"has space\"", "engine.redis.prefix"),
        ("prefix: \"{tag}\"", "engine.redis.prefix"),
        ("prefix: \"\"", "engine.redis.prefix"),
        ("sharded_pubsub: maybe", "engine.redis.sharded_pubsub"),
        ("password: \"\"", "engine.redis.password"),
        ("username: \"\"", "engine.redis.username"),
        ("username: app", "engine.redis.username"),
        ("password_env: \"\"", "engine.redis.password_env"),
        ("tls: true", "engine.redis.tls"),
        ("tls: { enabled: yes-please }", "engine.redis.tls.enabled"),
        ("tls: { ca_file: ca.pem }", "engine.redis.tls.ca_file"),
        ("tls: { server_name: redis.internal }", "engine.redis.tls.server_name"),
        ("tls: { enabled: true, ca_file: missing.pem }", "engine.redis.tls.ca_file"),
        ("tls: { enabled: true, ca_file: README.md }", "engine.redis.tls.ca_file"),
        ("tls: { enabled: true, server_name: \"\" }", "engine.redis.tls.server_name"),
        ("tls: { enabled: true, cert_file: client.pem }", "engine.redis.tls.key_file"),
        ("tls: { enabled: true, key_file: client.key }", "engine.redis.tls.cert_file"),
        ("tls: { enabled: true, cert_file: client.pem, key_file: missing.key }", "engine.redis.tls.key_file"),
        ("tls: { enabled: true, cert_file: missing.pem, key_file: client.key }", "engine.redis.tls.cert_file"),
        ("tls: { enabled: true, certificate: client.pem }", "engine.redis.tls.certificate"),
        ("adress: \"127.0.0.1:6379\"", "engine.redis.adress"),
    ])
    func badRedisValueNamesItsKeyPath(setting: String, keyPath: String) {
        let issues = Self.issues(Self.document(engine: """
            engine:
              type: redis
              redis:
                \(setting)
            """))
        #expect(issues.map(\.keyPath) == [keyPath], "\(setting)")
        #expect(issues.allSatisfy { $0.message.contains("(line ") }, "\(issues)")
    }

    @Test func unknownRedisKeySuggestsTheRightOne() {
        let issues = Self.issues(Self.document(engine: """
            engine:
              type: redis
              redis: { shardedPubsub: true }
            """))
        #expect(issues.map(\.keyPath) == ["engine.redis.shardedPubsub"])
        #expect(issues.first?.message.contains("did you mean \"sharded_pubsub\"?") == true)
    }

    @Test func passwordEnvMustBeSet() {
        let yaml = Self.document(engine: """
            engine:
              type: redis
              redis: { password_env: TETHER_TEST_UNSET }
            """)
        let unset = Self.issues(yaml, environment: [:])
        #expect(unset.map(\.keyPath) == ["engine.redis.password_env"])
        #expect(unset.first?.message.contains("TETHER_TEST_UNSET is not set") == true)
        #expect(Self.issues(yaml, environment: ["TETHER_TEST_UNSET": ""]).map(\.keyPath) == ["engine.redis.password_env"])
    }

    @Test func passwordAndPasswordEnvTogetherIsAnError() {
        let issues = Self.issues(Self.document(engine: """
            engine:
              type: redis
              redis: { password: abc, password_env: TETHER_REDIS_PASSWORD }
            """), environment: ["TETHER_REDIS_PASSWORD": "x"])
        #expect(issues.map(\.keyPath) == ["engine.redis.password_env"])
        #expect(issues.first?.message.contains("not both") == true)
    }

    @Test func usernameWithPasswordEnvIsAccepted() throws {
        let configuration = try #require(try Self.redis(Self.document(engine: """
            engine:
              type: redis
              redis: { username: app, password_env: P }
            """), environment: ["P": "pw"]))
        #expect(configuration.redis.username == "app")
        #expect(configuration.redis.password == "pw")
    }

    @Test func everyRedisProblemIsReportedAtOnce() {
        let issues = Self.issues(Self.document(engine: """
            engine:
              type: redis
              redis:
                address: nowhere
                pool_size: 0
                prefix: "a b"
            """))
        #expect(issues.map(\.keyPath) == ["engine.redis.address", "engine.redis.pool_size", "engine.redis.prefix"])
    }

    // MARK: Command-line overrides

    @Test func nameAndListenOverrides() throws {
        let file = try Self.decode(Self.document(engine: "engine: { type: redis }"))
        let overridden = try NodeCommand.applyingOverrides(to: file, name: "node-b", listen: "127.0.0.1:8002")
        #expect(overridden.node.name == "node-b")
        #expect(overridden.listen == HostAndPort(host: "127.0.0.1", port: 8002))
        guard case .redis = overridden.engine else {
            Issue.record("overrides must keep the engine")
            return
        }
        let untouched = try NodeCommand.applyingOverrides(to: file, name: nil, listen: nil)
        #expect(untouched.node.name == "n1")
        #expect(untouched.listen == HostAndPort(host: "127.0.0.1", port: 8000))
    }

    @Test func badOverridesAreConfigurationErrors() throws {
        let file = try Self.decode(Self.document(engine: ""))
        do {
            _ = try NodeCommand.applyingOverrides(to: file, name: "", listen: "8001")
            Issue.record("expected the overrides to be rejected")
        } catch let error as ConfigurationLoadError {
            #expect(error.issues.map(\.keyPath) == ["--name", "--listen"])
        }
    }

    @Test func redisClientNameIsOnlySetWhenRedisAcceptsIt() {
        #expect(NodeCommand.isValidClientName("tether-node-node-a"))
        #expect(!NodeCommand.isValidClientName("tether-node-my node"))
        #expect(!NodeCommand.isValidClientName(""))
    }
}
