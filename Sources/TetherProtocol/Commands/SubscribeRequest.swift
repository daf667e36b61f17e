/// `subscribe` fields (also one entry of `connect.subs`): the channel and, for recovery, the position the
/// client already has.
public struct SubscribeRequest: Sendable, Hashable {
    public var channel: String
    public var since: StreamPosition?

    public init(channel: String, since: StreamPosition? = nil) {
        self.channel = channel
        self.since = since
    }
}

extension SubscribeRequest: JSONEncodable, JSONDecodable {
    /// `{"channel":"…","since":{…}}`.
    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        self.encodeFields(to: &writer)
        writer.endObject()
    }

    func encodeFields(to writer: inout JSONWriter) {
        writer.key("channel")
        writer.string(self.channel)
        if let since = self.since {
            writer.key("since")
            since.encode(to: &writer)
        }
    }

    public init(json: JSONValue) throws(JSONShapeError) {
        try self.init(fields: json.requireObject("request"))
    }

    init(fields: JSONObject) throws(JSONShapeError) {
        self.init(channel: try fields.string("channel"), since: try fields.optionalDecode("since"))
    }
}
