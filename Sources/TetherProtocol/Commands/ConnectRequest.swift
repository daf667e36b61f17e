/// `connect` fields. `subs` keeps the client's order (it is an object on the wire, keyed by channel).
public struct ConnectRequest: Sendable, Hashable {
    public var token: String?
    public var session: String?
    /// Channels to subscribe at once, each with an optional recovery position; no channel twice.
    public var subs: [SubscribeRequest]
    public var name: String?
    /// The protocol version the client speaks; the node closes with `3504` unless it is absent or `1`.
    public var version: Int?

    public init(
        token: String? = nil,
        session: String? = nil,
        subs: [SubscribeRequest] = [],
        name: String? = nil,
        version: Int? = nil
    ) {
        self.token = token
        self.session = session
        self.subs = subs
        self.name = name
        self.version = version
    }
}

extension ConnectRequest: JSONEncodable, JSONDecodable {
    /// `{"token":…,"session":…,"subs":{"ch":{"since":…}},"name":…,"version":…}`, absent fields (and empty
    /// `subs`) left out.
    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        self.encodeFields(to: &writer)
        writer.endObject()
    }

    func encodeFields(to writer: inout JSONWriter) {
        if let token = self.token {
            writer.key("token")
            writer.string(token)
        }
        if let session = self.session {
            writer.key("session")
            writer.string(session)
        }
        if !self.subs.isEmpty {
            writer.key("subs")
            writer.beginObject()
            for sub in self.subs {
                writer.key(sub.channel)
                writer.beginObject()
                if let since = sub.since {
                    writer.key("since")
                    since.encode(to: &writer)
                }
                writer.endObject()
            }
            writer.endObject()
        }
        if let name = self.name {
            writer.key("name")
            writer.string(name)
        }
        if let version = self.version {
            writer.key("version")
            writer.number(version)
        }
    }

    public init(json: JSONValue) throws(JSONShapeError) {
        try self.init(fields: json.requireObject("request"))
    }

    init(fields: JSONObject) throws(JSONShapeError) {
        var subs: [SubscribeRequest] = []
        if let object = try fields.optionalObject("subs") {
            var seen = Set<String>()
            for member in object.members {
                guard seen.insert(member.key).inserted else {
                    throw JSONShapeError("\"subs\" names channel \"\(member.key)\" twice")
                }
                guard let options = member.value.objectValue else {
                    throw JSONShapeError("\"subs\" entries must be objects")
                }
                subs.append(SubscribeRequest(channel: member.key, since: try options.optionalDecode("since")))
            }
        }
        self.init(
            token: try fields.optionalString("token"),
            session: try fields.optionalString("session"),
            subs: subs,
            name: try fields.optionalString("name"),
            version: try fields.optionalInt("version")
        )
    }
}
