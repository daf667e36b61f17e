/// What the harness writes into one node's YAML file (docs/configuration.md, "Node"): a Redis engine on the
/// test's `redis-server`, an HS256 token key, an API key, and namespace `cluster` (history, client publish).
struct ClusterNodeConfiguration: Sendable {
    /// The HS256 secret every node trusts (``ClusterTokens`` signs with it).
    static let tokenSecret = "cluster-test-secret-0123456789abcdef-0123"
    /// The server API key every node accepts.
    static let apiKey = "cluster-test-api-key-0123456789"
    /// The namespace the tests publish in: channels `cluster:…`.
    static let namespace = "cluster"

    var name: String
    var port: Int
    var redisPort: Int
    /// Shared by every node of one cluster (one deployment).
    var prefix: String
    var historySize = 2000
    var presenceLease = "2s"
    var pingInterval = "5s"
    var sessionTTL = "2m"
    var shutdownDrainWindow = "200ms"
    var commandTimeout = "1s"
    var connectTimeout = "500ms"

    /// The YAML text of the file.
    var yaml: String {
        """
        name: \(self.name)
        listen: 127.0.0.1:\(self.port)
        engine:
          type: redis
          redis:
            address: "127.0.0.1:\(self.redisPort)"
            prefix: \(self.prefix)
            pool_size: 4
            connect_timeout: \(self.connectTimeout)
            command_timeout: \(self.commandTimeout)
        session_ttl: \(self.sessionTTL)
        presence_lease: \(self.presenceLease)
        ping_interval: \(self.pingInterval)
        shutdown_drain_window: \(self.shutdownDrainWindow)
        api_keys:
          - \(Self.apiKey)
        auth:
          keys:
            - algorithm: HS256
              secret: \(Self.tokenSecret)
        limits:
          commands_per_second: 10000
          command_burst: 10000
        namespaces:
          - name: \(Self.namespace)
            history_size: \(self.historySize)
            history_ttl: 5m
            allow_publish: true

        """
    }
}
