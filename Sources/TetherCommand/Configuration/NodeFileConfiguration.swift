import TetherCore
import TetherGatewayCore
import TetherRedis
import TetherRedisEngine

/// What `tether node` reads from its YAML file: where to listen, which engine, and the node itself.
/// Schema: docs/configuration.md, section "Node"; examples: examples/node.yaml, examples/node-redis.yaml.
public struct NodeFileConfiguration: Sendable {
    /// Where the node's channels, history, presence and sessions live (`engine:` in the file).
    public enum EngineChoice: Sendable {
        /// In-process; only nodes in this process share it.
        case memory
        /// One Redis shared by every node configured with it. The password, if any, is already resolved
        /// (from `password` or the variable named by `password_env`) and the TLS configuration built.
        case redis(RedisEngineConfiguration)

        /// `memory` or `redis`, as written in the file.
        public var typeName: String {
            switch self {
            case .memory: "memory"
            case .redis: "redis"
            }
        }
    }

    public var listen: HostAndPort
    public var engine: EngineChoice
    public var node: NodeConfiguration

    public init(listen: HostAndPort, engine: EngineChoice = .memory, node: NodeConfiguration) {
        self.listen = listen
        self.engine = engine
        self.node = node
    }

    /// The engine in one line for `--check-config` and the start-up log: its type and, for Redis, the
    /// address, database, TLS, user, key prefix and pub/sub mode. Never contains a password.
    public var engineSummary: String {
        switch self.engine {
        case .memory:
            return "memory"
        case .redis(let configuration):
            let redis = configuration.redis
            let address = HostAndPort(host: redis.host, port: redis.port)
            var details = ["db \(redis.database)"]
            if redis.tls != nil { details.append("TLS" + (redis.serverHostname.map { " (server name \($0))" } ?? "")) }
            if let user = redis.username { details.append("user \(user)") }
            if redis.password != nil { details.append("password set") }
            details.append("prefix \"\(configuration.prefix)\"")
            details.append(configuration.shardedPubSub ? "sharded pub/sub" : "pub/sub")
            details.append("pool \(redis.poolSize)")
            return "redis at \(address) (\(details.joined(separator: ", ")))"
        }
    }

    /// A few lines for `--check-config` and the start-up log. Never contains a secret.
    public var summary: String {
        let namespaces = self.node.namespaces.keys.sorted().map { $0.isEmpty ? "(default)" : $0 }.joined(separator: ", ")
        return """
              node \(self.node.name) on \(self.listen.host):\(self.listen.port)
              engine: \(self.engineSummary)
              namespaces: \(namespaces)
              auth: \(self.node.auth.keys.count) key(s)\(self.node.auth.allowAnonymous ? ", anonymous allowed" : ""); server API: \(self.node.apiKeys.isEmpty ? "off" : "on")
            """
    }
}
