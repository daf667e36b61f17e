/// The result of `connect`.
public struct ConnectResult: Sendable, Hashable {
    /// This connection's id.
    public var client: String
    /// What to present as `session` next time (unchanged when resumed).
    public var session: String
    public var resumed: Bool
    public var node: String
    public var version: Int
    /// Keep-alive interval (section 1).
    public var pingMs: Int
    public var sessionTTLMs: Int
    /// Milliseconds since the Unix epoch when the token expires (present when it has `exp`).
    public var expiresAt: Int64?
    /// A subscribe result for every channel now subscribed (requested and restored), in order.
    public var subs: [SubscribeResult]
    /// Channels that could not be subscribed, with their errors, in order.
    public var subErrors: [ChannelError]

    public init(
        client: String,
        session: String,
        resumed: Bool,
        node: String,
        version: Int = 1,
        pingMs: Int,
        sessionTTLMs: Int,
        expiresAt: Int64? = nil,
        subs: [SubscribeResult] = [],
        subErrors: [ChannelError] = []
    ) {
        self.client = client
        self.session = session
        self.resumed = resumed
        self.node = node
        self.version = version
        self.pingMs = pingMs
        self.sessionTTLMs = sessionTTLMs
        self.expiresAt = expiresAt
        self.subs = subs
        self.subErrors = subErrors
    }
}

extension ConnectResult: JSONEncodable, JSONDecodable {
    /// `{"client","session","resumed","node","version","ping_ms","session_ttl_ms","expires_at"?,"subs",
    /// "sub_errors"?}`: `subs` is always written (`{}` when empty), keyed by channel, each value a full subscribe
    /// result; `sub_errors` only when non-empty.
    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("client")
        writer.string(self.client)
        writer.key("session")
        writer.string(self.session)
        writer.key("resumed")
        writer.bool(self.resumed)
        writer.key("node")
        writer.string(self.node)
        writer.key("version")
        writer.number(self.version)
        writer.key("ping_ms")
        writer.number(self.pingMs)
        writer.key("session_ttl_ms")
        writer.number(self.sessionTTLMs)
        if let expiresAt = self.expiresAt {
            writer.key("expires_at")
            writer.number(expiresAt)
        }
        writer.key("subs")
        writer.beginObject()
        for sub in self.subs {
            writer.key(sub.channel)
            sub.encode(to: &writer)
        }
        writer.endObject()
        if !self.subErrors.isEmpty {
            writer.key("sub_errors")
            writer.beginObject()
            for entry in self.subErrors {
                writer.key(entry.channel)
                entry.error.encode(to: &writer)
            }
            writer.endObject()
        }
        writer.endObject()
    }

    public init(json: JSONValue) throws(JSONShapeError) {
        let object = try json.requireObject("connect result")
        var subs: [SubscribeResult] = []
        for member in try object.optionalObject("subs")?.members ?? [] {
            subs.append(try SubscribeResult(json: member.value, channel: member.key))
        }
        var subErrors: [ChannelError] = []
        for member in try object.optionalObject("sub_errors")?.members ?? [] {
            subErrors.append(ChannelError(channel: member.key, error: try ProtocolError(json: member.value)))
        }
        self.init(
            client: try object.string("client"),
            session: try object.string("session"),
            resumed: try object.bool("resumed"),
            node: try object.string("node"),
            version: try object.int("version"),
            pingMs: try object.count("ping_ms"),
            sessionTTLMs: try object.count("session_ttl_ms"),
            expiresAt: try object.optionalInt64("expires_at"),
            subs: subs,
            subErrors: subErrors
        )
    }
}
