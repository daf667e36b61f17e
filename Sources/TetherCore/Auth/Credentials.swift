import TetherProtocol

/// What a verified token says about a connection.
public struct Credentials: Sendable, Hashable {
    /// The token's `sub`; "" for anonymous connections.
    public var user: String
    /// `exp` in milliseconds since the Unix epoch, if the token expires.
    public var expiresAt: Int64?
    /// The `channels` claim: patterns this token grants (`*` at the end matches any suffix).
    public var channels: [String]
    /// The `info` claim, shown in presence.
    public var info: RawJSON?

    public init(user: String, expiresAt: Int64? = nil, channels: [String] = [], info: RawJSON? = nil) {
        self.user = user
        self.expiresAt = expiresAt
        self.channels = channels
        self.info = info
    }

    public static let anonymous = Credentials(user: "")

    /// Whether the `channels` claim grants `channel`.
    public func grants(_ channel: String) -> Bool {
        self.channels.contains { pattern in
            if pattern.hasSuffix("*") { return channel.hasPrefix(pattern.dropLast()) }
            return pattern == channel
        }
    }
}
