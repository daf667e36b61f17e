import Foundation
import NIOSSL
import TetherCore
import TetherGatewayCore
import TetherProtocol
import TetherRedis
import TetherRedisEngine
import Yams

/// Reads `tether node`'s YAML configuration: syntax, then schema (unknown keys, types, values), then
/// semantic rules; every problem names its key path and line, and the process exits with 2.
public enum NodeConfigurationLoader {
    enum Keys {
        static let root = [
            "name", "listen", "engine", "session_ttl", "presence_lease", "ping_interval", "idempotency_window",
            "shutdown_drain_window", "api_keys", "allowed_origins", "auth", "limits", "namespaces",
        ]
        static let engine = ["type", "redis"]
        static let redis = [
            "address", "username", "password", "password_env", "database", "tls", "pool_size", "connect_timeout",
            "command_timeout", "prefix", "sharded_pubsub",
        ]
        static let tls = ["enabled", "ca_file", "server_name", "cert_file", "key_file"]
        static let auth = ["allow_anonymous", "leeway", "keys"]
        static let key = ["algorithm", "secret", "public_key_file", "kid"]
        static let limits = [
            "max_message_size", "max_publication_size", "max_subscriptions_per_connection", "commands_per_second",
            "command_burst", "outbound_queue_bytes", "max_connections", "connect_timeout",
        ]
        static let namespace = [
            "name", "history_size", "history_ttl", "presence", "join_leave", "allow_publish", "subscribe",
            "allow_anonymous", "slow_consumer",
        ]
    }

    /// Loads and checks the file at `path`; `environment` resolves `engine.redis.password_env`.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> NodeFileConfiguration {
        let absolutePath = URL(fileURLWithPath: path).standardizedFileURL.path
        guard let yaml = try? String(contentsOfFile: absolutePath, encoding: .utf8) else {
            throw ConfigurationLoadError(file: path, issues: [ConfigurationIssue(keyPath: path, message: "the file does not exist or is not readable UTF-8 text")], subject: "node")
        }
        do {
            return try decode(yaml: yaml, baseDirectory: URL(fileURLWithPath: absolutePath).deletingLastPathComponent().path, environment: environment)
        } catch var error as ConfigurationLoadError {
            error.file = path
            throw error
        }
    }

    public static func check(path: String) -> (ok: Bool, report: String) {
        do {
            let configuration = try load(path: path)
            return (true, "\(path): configuration is valid\n\(configuration.summary)")
        } catch {
            return (false, String(describing: error))
        }
    }

    /// Decodes YAML text; relative key, certificate and CA files are resolved against `baseDirectory`, and
    /// `engine.redis.password_env` is looked up in `environment`.
    public static func decode(
        yaml: String, baseDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> NodeFileConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationLoadError(file: nil, issues: [ConfigurationIssue(keyPath: "(document)", message: "YAML syntax error: \(error)")], subject: "node")
        }
        let reader = YAMLNodeReader()
        let configuration = self.decode(root, reader: reader, baseDirectory: baseDirectory, environment: environment)
        guard reader.issues.isEmpty, let configuration else {
            throw ConfigurationLoadError(file: nil, issues: reader.issues.isEmpty ? [ConfigurationIssue(keyPath: "(document)", message: "the file is empty")] : reader.issues, subject: "node")
        }
        return configuration
    }

    private static func decode(_ root: Node?, reader: YAMLNodeReader, baseDirectory: String, environment: [String: String]) -> NodeFileConfiguration? {
        guard let root, let m = reader.mapping(root, at: "", keys: Keys.root) else { return nil }
        let name = m.required("name", reader.string) ?? ""
        if m.contains("name"), name.isEmpty { reader.fail("name", "must not be empty") }
        let listen = m.required("listen", reader.hostAndPort) ?? HostAndPort(host: "127.0.0.1", port: 0)
        var node = NodeConfiguration(name: name)
        var engine = NodeFileConfiguration.EngineChoice.memory
        if let e = m.value("engine"), let em = reader.mapping(e, at: "engine", keys: Keys.engine) {
            engine = self.engine(em, reader: reader, baseDirectory: baseDirectory, environment: environment)
        }
        func positive(_ key: String, _ value: Duration?) -> Duration? {
            guard let value else { return nil }
            guard value > .zero else {
                reader.fail(key, "must be longer than zero")
                return nil
            }
            return value
        }
        node.sessionTTL = positive("session_ttl", m.optional("session_ttl", reader.duration)) ?? node.sessionTTL
        node.presenceLease = positive("presence_lease", m.optional("presence_lease", reader.duration)) ?? node.presenceLease
        node.pingInterval = positive("ping_interval", m.optional("ping_interval", reader.duration)) ?? node.pingInterval
        node.idempotencyWindow = positive("idempotency_window", m.optional("idempotency_window", reader.duration)) ?? node.idempotencyWindow
        node.shutdownDrainWindow = m.optional("shutdown_drain_window", reader.duration) ?? node.shutdownDrainWindow
        node.apiKeys = self.strings(m, "api_keys", reader: reader)
        for (index, key) in node.apiKeys.enumerated() where key.utf8.count < 16 {
            reader.fail("api_keys[\(index)]", "API keys must be at least 16 characters")
        }
        node.allowedOrigins = self.strings(m, "allowed_origins", reader: reader)
        if let a = m.value("auth"), let am = reader.mapping(a, at: "auth", keys: Keys.auth) {
            node.auth = self.auth(am, reader: reader, baseDirectory: baseDirectory)
        }
        if node.auth.keys.isEmpty, !node.auth.allowAnonymous {
            reader.fail("auth.keys", "no token key is configured and anonymous access is off: no client could connect")
        }
        if let l = m.value("limits"), let lm = reader.mapping(l, at: "limits", keys: Keys.limits) {
            node.limits = self.limits(lm, reader: reader)
        }
        if let n = m.value("namespaces"), let items = reader.sequence(n, at: "namespaces") {
            var namespaces: [String: NamespaceOptions] = [:]
            for item in items {
                guard let nm = reader.mapping(item.node, at: item.keyPath, keys: Keys.namespace) else { continue }
                guard let (name, options) = self.namespace(nm, reader: reader) else { continue }
                if namespaces[name] != nil { reader.fail(nm.path("name"), "namespace \"\(name)\" is defined twice") }
                namespaces[name] = options
            }
            node.namespaces = namespaces
        }
        return NodeFileConfiguration(listen: listen, engine: engine, node: node)
    }

    private enum EngineType { case memory, redis }

    private static func engine(_ m: YAMLMapping, reader: YAMLNodeReader, baseDirectory: String, environment: [String: String]) -> NodeFileConfiguration.EngineChoice {
        let type = m.optional("type") { reader.choice($0, at: $1, what: "engine", ["memory": EngineType.memory, "redis": .redis]) }
        if m.contains("type"), type == nil { return .memory }  // an unknown type, already reported
        switch type ?? .memory {
        case .memory:
            if m.contains("redis") {
                reader.fail(m.path("redis"), "only for `type: redis` (the engine is \(type == nil ? "memory by default" : "memory"))")
            }
            return .memory
        case .redis:
            guard let r = m.value("redis") else { return .redis(RedisEngineConfiguration()) }
            guard let rm = reader.mapping(r, at: m.path("redis"), keys: Keys.redis) else { return .memory }
            return .redis(self.redis(rm, reader: reader, baseDirectory: baseDirectory, environment: environment))
        }
    }

    private static func redis(_ m: YAMLMapping, reader: YAMLNodeReader, baseDirectory: String, environment: [String: String]) -> RedisEngineConfiguration {
        var configuration = RedisEngineConfiguration()
        var redis = configuration.redis
        if let address = m.optional("address", reader.hostAndPort) {
            if address.port == 0 {
                reader.fail(m.path("address"), "port 0 is not a Redis server's port")
            } else {
                redis.host = address.host
                redis.port = address.port
            }
        }
        redis.username = m.optional("username", reader.string)
        if redis.username?.isEmpty == true { reader.fail(m.path("username"), "must not be empty (leave it out for the default user)") }
        let password = m.optional("password", reader.string)
        if let password, password.isEmpty { reader.fail(m.path("password"), "must not be empty (leave it out for no password)") }
        if let variable = m.optional("password_env", reader.string) {
            if m.contains("password") {
                reader.fail(m.path("password_env"), "give either password or password_env, not both")
            } else if variable.isEmpty {
                reader.fail(m.path("password_env"), "must name an environment variable")
            } else if let value = environment[variable], !value.isEmpty {
                redis.password = value
            } else {
                reader.fail(m.path("password_env"), "the environment variable \(variable) is not set or is empty")
            }
        } else if let password, !password.isEmpty {
            redis.password = password
        }
        if redis.username?.isEmpty == false, !m.contains("password"), !m.contains("password_env") {
            reader.fail(m.path("username"), "a user needs password or password_env")
        }
        if let database = m.optional("database", reader.int) {
            if database >= 0 { redis.database = database } else { reader.fail(m.path("database"), "must be 0 or more (got \(database))") }
        }
        if let size = m.optional("pool_size", reader.int) {
            if (1...1024).contains(size) { redis.poolSize = size } else { reader.fail(m.path("pool_size"), "must be within 1…1024 (got \(size))") }
        }
        for (key, keyPath) in [("connect_timeout", \RedisConfiguration.connectTimeout), ("command_timeout", \RedisConfiguration.commandTimeout)] {
            guard let value = m.optional(key, reader.duration) else { continue }
            if value > .zero { redis[keyPath: keyPath] = value } else { reader.fail(m.path(key), "must be longer than zero") }
        }
        if let t = m.value("tls"), let tm = reader.mapping(t, at: m.path("tls"), keys: Keys.tls) {
            self.tls(tm, into: &redis, reader: reader, baseDirectory: baseDirectory)
        }
        if let prefix = m.optional("prefix", reader.string) {
            if RedisEngineConfiguration.isValidPrefix(prefix) {
                configuration.prefix = prefix
            } else {
                reader.fail(m.path("prefix"), "invalid prefix \"\(prefix)\"; use 1…64 of A–Z a–z 0–9 - _ . :")
            }
        }
        configuration.shardedPubSub = m.optional("sharded_pubsub", reader.bool) ?? false
        configuration.redis = redis
        return configuration
    }

    /// `engine.redis.tls`: a client configuration trusting `ca_file` (the system roots without it), checking
    /// `server_name` (the host otherwise), presenting `cert_file` + `key_file` when given.
    private static func tls(_ m: YAMLMapping, into redis: inout RedisConfiguration, reader: YAMLNodeReader, baseDirectory: String) {
        let enabled = m.optional("enabled", reader.bool) ?? false
        guard enabled else {
            for key in Keys.tls where key != "enabled" && m.contains(key) {
                reader.fail(m.path(key), "has no effect unless tls.enabled is true")
            }
            return
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = m.optional("ca_file", reader.string) {
            let path = self.resolve(file, baseDirectory: baseDirectory)
            do {
                let certificates = try NIOSSLCertificate.fromPEMFile(path)
                if certificates.isEmpty { reader.fail(m.path("ca_file"), "no PEM certificate in \(path)") }
                tls.trustRoots = .certificates(certificates)
            } catch {
                reader.fail(m.path("ca_file"), "cannot read PEM certificates from \(path): \(error)")
            }
        }
        if let name = m.optional("server_name", reader.string) {
            if name.isEmpty { reader.fail(m.path("server_name"), "must not be empty") } else { redis.serverHostname = name }
        }
        switch (m.optional("cert_file", reader.string), m.optional("key_file", reader.string)) {
        case (let certificateFile?, let keyFile?):
            let certificatePath = self.resolve(certificateFile, baseDirectory: baseDirectory)
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
                if chain.isEmpty { reader.fail(m.path("cert_file"), "no PEM certificate in \(certificatePath)") }
                tls.certificateChain = chain.map { .certificate($0) }
            } catch {
                reader.fail(m.path("cert_file"), "cannot read PEM certificates from \(certificatePath): \(error)")
            }
            let keyPath = self.resolve(keyFile, baseDirectory: baseDirectory)
            do {
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))
            } catch {
                reader.fail(m.path("key_file"), "cannot read a PEM private key from \(keyPath): \(error)")
            }
        case (_?, nil):
            reader.fail(m.path("key_file"), "cert_file needs key_file (the client certificate's private key)", at: m.node)
        case (nil, _?):
            reader.fail(m.path("cert_file"), "key_file needs cert_file (the client certificate)", at: m.node)
        case (nil, nil):
            break
        }
        redis.tls = tls
    }

    /// An absolute path, `~/` under the home directory, or relative to the configuration file's directory.
    private static func resolve(_ file: String, baseDirectory: String) -> String {
        if file.hasPrefix("/") { return file }
        if file.hasPrefix("~/") { return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(String(file.dropFirst(2))).path }
        return "\(baseDirectory)/\(file)"
    }

    private static func strings(_ m: YAMLMapping, _ key: String, reader: YAMLNodeReader) -> [String] {
        guard let node = m.value(key), let items = reader.sequence(node, at: m.path(key)) else { return [] }
        return items.compactMap { reader.string($0.node, at: $0.keyPath) }
    }

    private static func auth(_ m: YAMLMapping, reader: YAMLNodeReader, baseDirectory: String) -> AuthConfiguration {
        var auth = AuthConfiguration()
        auth.allowAnonymous = m.optional("allow_anonymous", reader.bool) ?? false
        auth.leeway = m.optional("leeway", reader.duration) ?? auth.leeway
        guard let k = m.value("keys"), let items = reader.sequence(k, at: m.path("keys")) else { return auth }
        for item in items {
            guard let km = reader.mapping(item.node, at: item.keyPath, keys: Keys.key) else { continue }
            let algorithm = km.required("algorithm") { node, path in
                reader.choice(node, at: path, what: "algorithm", ["HS256": TokenKey.Algorithm.hs256, "RS256": .rs256, "ES256": .es256])
            }
            let kid = km.optional("kid", reader.string)
            switch algorithm {
            case .hs256?:
                guard let secret = km.required("secret", reader.string) else { continue }
                guard secret.utf8.count >= 32 else {
                    reader.fail(km.path("secret"), "an HS256 secret needs at least 32 bytes (it has \(secret.utf8.count))")
                    continue
                }
                if km.contains("public_key_file") { reader.fail(km.path("public_key_file"), "HS256 uses `secret`, not a public key") }
                auth.keys.append(TokenKey(algorithm: .hs256, material: secret, kid: kid))
            case let algorithm?:
                guard let file = km.required("public_key_file", reader.string) else { continue }
                let path = file.hasPrefix("/") ? file : "\(baseDirectory)/\(file)"
                guard let pem = try? String(contentsOfFile: path, encoding: .utf8), pem.contains("-----BEGIN") else {
                    reader.fail(km.path("public_key_file"), "cannot read a PEM public key from \(path)")
                    continue
                }
                if km.contains("secret") { reader.fail(km.path("secret"), "\(algorithm.rawValue) uses `public_key_file`, not a secret") }
                auth.keys.append(TokenKey(algorithm: algorithm, material: pem, kid: kid))
            case nil:
                continue
            }
        }
        return auth
    }

    private static func limits(_ m: YAMLMapping, reader: YAMLNodeReader) -> NodeLimits {
        var limits = NodeLimits()
        func positive(_ key: String, _ current: Int) -> Int {
            guard let value = m.optional(key, reader.int) else { return current }
            guard value > 0 else {
                reader.fail(m.path(key), "must be greater than zero")
                return current
            }
            return value
        }
        limits.maxMessageSize = positive("max_message_size", limits.maxMessageSize)
        limits.maxPublicationSize = positive("max_publication_size", limits.maxPublicationSize)
        limits.maxSubscriptionsPerConnection = positive("max_subscriptions_per_connection", limits.maxSubscriptionsPerConnection)
        limits.commandsPerSecond = positive("commands_per_second", limits.commandsPerSecond)
        limits.commandBurst = positive("command_burst", limits.commandBurst)
        limits.outboundQueueBytes = positive("outbound_queue_bytes", limits.outboundQueueBytes)
        limits.maxConnections = positive("max_connections", limits.maxConnections)
        limits.connectTimeout = m.optional("connect_timeout", reader.duration) ?? limits.connectTimeout
        if limits.maxPublicationSize >= limits.maxMessageSize {
            reader.fail(m.path("max_publication_size"), "must be smaller than max_message_size (\(limits.maxMessageSize)), which also holds the command around it")
        }
        if limits.outboundQueueBytes < limits.maxMessageSize {
            reader.fail(m.path("outbound_queue_bytes"), "must be at least max_message_size (\(limits.maxMessageSize))")
        }
        return limits
    }

    private static func namespace(_ m: YAMLMapping, reader: YAMLNodeReader) -> (String, NamespaceOptions)? {
        guard let name = m.required("name", reader.string) else { return nil }
        if name.contains(":") || (!name.isEmpty && !ChannelName.isValid("\(name):x")) {
            reader.fail(m.path("name"), "a namespace name uses A–Z a–z 0–9 _ - . @ / = and no ':' (\"\" is the default namespace)")
        }
        var options = NamespaceOptions()
        if let size = m.optional("history_size", reader.int) {
            if (0...100_000).contains(size) { options.historySize = size } else { reader.fail(m.path("history_size"), "must be within 0…100000") }
        }
        options.historyTTL = m.optional("history_ttl", reader.duration) ?? options.historyTTL
        options.presence = m.optional("presence", reader.bool) ?? false
        options.joinLeave = m.optional("join_leave", reader.bool) ?? false
        if options.joinLeave, !options.presence { reader.fail(m.path("join_leave"), "join_leave needs presence: true") }
        options.allowPublish = m.optional("allow_publish", reader.bool) ?? false
        options.allowAnonymous = m.optional("allow_anonymous", reader.bool) ?? false
        if let policy = m.optional("subscribe", { reader.choice($0, at: $1, what: "subscribe policy", ["any": NamespaceOptions.SubscribePolicy.any, "token": .tokenClaim]) }) {
            options.subscribe = policy
        }
        if let policy = m.optional("slow_consumer", { reader.choice($0, at: $1, what: "slow-consumer policy", ["disconnect": NamespaceOptions.SlowConsumerPolicy.disconnect, "gap": .gap]) }) {
            options.slowConsumer = policy
        }
        return (name, options)
    }
}
