import Foundation
import TetherCore
import TetherGatewayCore
import TetherProtocol
import Yams

/// Reads `tether node`'s YAML configuration: syntax, then schema (unknown keys, types, values), then
/// semantic rules; every problem names its key path and line, and the process exits with 2.
public enum NodeConfigurationLoader {
    enum Keys {
        static let root = [
            "name", "listen", "engine", "session_ttl", "presence_lease", "ping_interval", "idempotency_window",
            "shutdown_drain_window", "api_keys", "allowed_origins", "auth", "limits", "namespaces",
        ]
        static let engine = ["type"]
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

    public static func load(path: String) throws -> NodeFileConfiguration {
        let absolutePath = URL(fileURLWithPath: path).standardizedFileURL.path
        guard let yaml = try? String(contentsOfFile: absolutePath, encoding: .utf8) else {
            throw ConfigurationLoadError(file: path, issues: [ConfigurationIssue(keyPath: path, message: "the file does not exist or is not readable UTF-8 text")], subject: "node")
        }
        do {
            return try decode(yaml: yaml, baseDirectory: URL(fileURLWithPath: absolutePath).deletingLastPathComponent().path)
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

    /// Decodes YAML text; relative key files are resolved against `baseDirectory`.
    public static func decode(yaml: String, baseDirectory: String) throws -> NodeFileConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationLoadError(file: nil, issues: [ConfigurationIssue(keyPath: "(document)", message: "YAML syntax error: \(error)")], subject: "node")
        }
        let reader = YAMLNodeReader()
        let configuration = self.decode(root, reader: reader, baseDirectory: baseDirectory)
        guard reader.issues.isEmpty, let configuration else {
            throw ConfigurationLoadError(file: nil, issues: reader.issues.isEmpty ? [ConfigurationIssue(keyPath: "(document)", message: "the file is empty")] : reader.issues, subject: "node")
        }
        return configuration
    }

    private static func decode(_ root: Node?, reader: YAMLNodeReader, baseDirectory: String) -> NodeFileConfiguration? {
        guard let root, let m = reader.mapping(root, at: "", keys: Keys.root) else { return nil }
        let name = m.required("name", reader.string) ?? ""
        if m.contains("name"), name.isEmpty { reader.fail("name", "must not be empty") }
        let listen = m.required("listen", reader.hostAndPort) ?? HostAndPort(host: "127.0.0.1", port: 0)
        var node = NodeConfiguration(name: name)
        var engine = NodeFileConfiguration.EngineChoice.memory
        if let e = m.value("engine"), let em = reader.mapping(e, at: "engine", keys: Keys.engine) {
            engine = em.optional("type") { reader.choice($0, at: $1, what: "engine", ["memory": .memory]) } ?? .memory
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
