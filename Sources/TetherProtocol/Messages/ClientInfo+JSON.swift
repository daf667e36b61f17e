/// `{"client":"…","user":"…","data":…}` (`data` only when present). Publications carry only the identity
/// (``encodeIdentity(to:)``).
extension ClientInfo: JSONEncodable, JSONDecodable {
    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("client")
        writer.string(self.client)
        writer.key("user")
        writer.string(self.user)
        if let data = self.data {
            writer.key("data")
            writer.raw(data)
        }
        writer.endObject()
    }

    /// `{"client":"…","user":"…"}`: the `info` of a publication, without `data`.
    public func encodeIdentity(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("client")
        writer.string(self.client)
        writer.key("user")
        writer.string(self.user)
        writer.endObject()
    }

    public init(json: JSONValue) throws(JSONShapeError) {
        let object = try json.requireObject("info")
        self.init(
            client: try object.string("client"),
            user: try object.string("user"),
            data: object.optional("data").map { RawJSON($0) }
        )
    }
}
