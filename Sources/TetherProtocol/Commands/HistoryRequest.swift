/// `history` fields (also the server API's `history` body).
public struct HistoryRequest: Sendable, Hashable {
    public var channel: String
    /// Publications after this position; nil: from the oldest held.
    public var since: StreamPosition?
    /// At most this many (non-negative); nil: the namespace's history size.
    public var limit: Int?

    public init(channel: String, since: StreamPosition? = nil, limit: Int? = nil) {
        self.channel = channel
        self.since = since
        self.limit = limit
    }
}

extension HistoryRequest: JSONEncodable, JSONDecodable {
    /// `{"channel":"…","since":{…},"limit":N}`.
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
        if let limit = self.limit {
            writer.key("limit")
            writer.number(limit)
        }
    }

    public init(json: JSONValue) throws(JSONShapeError) {
        try self.init(fields: json.requireObject("request"))
    }

    init(fields: JSONObject) throws(JSONShapeError) {
        self.init(
            channel: try fields.string("channel"),
            since: try fields.optionalDecode("since"),
            limit: try fields.optionalCount("limit")
        )
    }
}
