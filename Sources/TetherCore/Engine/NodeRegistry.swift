/// The live nodes of a deployment, as of their last heartbeat (for `/api/info` and `/api/channels`).
///
/// Contract: a node is listed from a `heartbeat` until `ttl` after its last one, or until `remove`.
public protocol NodeRegistry: Sendable {
    func heartbeat(_ info: NodeInfo, ttl: Duration) async throws
    func remove(node: String) async throws
    func nodes() async throws -> [NodeInfo]
}

public struct NodeInfo: Sendable, Hashable {
    public var name: String
    public var version: String
    /// Milliseconds since the Unix epoch.
    public var startedAt: Int64
    public var updatedAt: Int64
    public var clients: Int
    public var users: Int
    public var subscriptions: Int
    /// Local subscriber count per channel (capped by the node; see its configuration).
    public var channels: [String: Int]

    public init(name: String, version: String, startedAt: Int64, updatedAt: Int64, clients: Int, users: Int, subscriptions: Int, channels: [String: Int]) {
        self.name = name
        self.version = version
        self.startedAt = startedAt
        self.updatedAt = updatedAt
        self.clients = clients
        self.users = users
        self.subscriptions = subscriptions
        self.channels = channels
    }
}
