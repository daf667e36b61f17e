import TetherProtocol

/// Who is in which channel, kept as leases so a node that vanishes stops counting within one lease.
///
/// Contract: an entry is visible from `add` until `remove` or until its lease runs out without
/// `renew`. `expire` removes the entries whose lease ran out and returns each of them to exactly one
/// caller (so exactly one node announces the leave).
public protocol PresenceManager: Sendable {
    /// Adds or replaces the entry for `info.client`; returns true if it was not present before.
    func add(channel: String, info: ClientInfo, lease: Duration) async throws -> Bool
    /// Extends the leases of the given clients that are still present.
    func renew(channel: String, clients: [String], lease: Duration) async throws
    /// Removes the entry; returns true if it was present.
    func remove(channel: String, client: String) async throws -> Bool
    /// Present clients, in no particular order; expired entries are never listed.
    func list(channel: String) async throws -> [ClientInfo]
    func stats(channel: String) async throws -> PresenceStats
    /// Removes and returns the entries of `channel` whose lease ran out.
    func expire(channel: String) async throws -> [ClientInfo]
}

public struct PresenceStats: Sendable, Hashable {
    public var clients: Int
    public var users: Int

    public init(clients: Int, users: Int) {
        self.clients = clients
        self.users = users
    }
}
