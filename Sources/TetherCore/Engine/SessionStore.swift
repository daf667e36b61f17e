import TetherProtocol

/// Sessions that outlive connections, so a client can resume on any node within the recovery window.
///
/// Contract: a saved record is returned by `load` until `ttl` after its last `save`, then never again.
public protocol SessionStore: Sendable {
    func save(_ record: SessionRecord, ttl: Duration) async throws
    func load(_ id: String) async throws -> SessionRecord?
    func delete(_ id: String) async throws
}

public struct SessionRecord: Sendable, Hashable {
    public var id: String
    /// The user the session belongs to; a session is only resumed by a token for the same user.
    public var user: String
    /// The session's channels and the last position a node knows it sent for each. A position with an
    /// empty epoch means "unknown": the channel is re-subscribed without recovery unless the client
    /// presents one.
    public var subscriptions: [String: StreamPosition]

    public init(id: String, user: String, subscriptions: [String: StreamPosition]) {
        self.id = id
        self.user = user
        self.subscriptions = subscriptions
    }
}
