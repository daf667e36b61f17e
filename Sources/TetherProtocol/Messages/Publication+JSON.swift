/// `{"offset":N,"data":…,"info":{"client":"…","user":"…"}}` (`info` only for client publishes, never with
/// presence `data`).
extension Publication: JSONEncodable, JSONDecodable {
    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("offset")
        writer.number(self.offset)
        writer.key("data")
        writer.raw(self.data)
        if let info = self.info {
            writer.key("info")
            info.encodeIdentity(to: &writer)
        }
        writer.endObject()
    }

    public init(json: JSONValue) throws(JSONShapeError) {
        let object = try json.requireObject("publication")
        self.init(
            offset: try object.uint64("offset"),
            data: RawJSON(try object.required("data")),
            info: try Self.identity(object.optional("info"))
        )
    }

    /// The publisher identity of an `info` value, dropping any `data`.
    static func identity(_ value: JSONValue?) throws(JSONShapeError) -> ClientInfo? {
        guard let value else { return nil }
        let info = try ClientInfo(json: value)
        return ClientInfo(client: info.client, user: info.user)
    }
}
