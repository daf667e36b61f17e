/// The result of `publish`: the publication's position, or with `duplicate` the original one of an earlier
/// publish with the same key.
public struct PublishResult: Sendable, Hashable {
    public var position: StreamPosition
    public var duplicate: Bool

    public init(position: StreamPosition, duplicate: Bool = false) {
        self.position = position
        self.duplicate = duplicate
    }
}

extension PublishResult: JSONEncodable, JSONDecodable {
    /// `{"position":{…}}`, plus `"duplicate":true` only for duplicates.
    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("position")
        self.position.encode(to: &writer)
        if self.duplicate {
            writer.key("duplicate")
            writer.bool(true)
        }
        writer.endObject()
    }

    public init(json: JSONValue) throws(JSONShapeError) {
        let object = try json.requireObject("publish result")
        self.init(position: try object.decode("position"), duplicate: try object.optionalBool("duplicate") ?? false)
    }
}
