/// Who a connection is: shown in presence, `join`/`leave` pushes and the `info` of client publications.
public struct ClientInfo: Sendable, Hashable {
    /// The connection's id (`client` in the connect reply).
    public var client: String
    /// The token's `sub`; empty for anonymous connections.
    public var user: String
    /// The token's `info` claim, if any (shown in presence only, not in publications).
    public var data: RawJSON?

    public init(client: String, user: String, data: RawJSON? = nil) {
        self.client = client
        self.user = user
        self.data = data
    }
}
