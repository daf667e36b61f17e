/// The result of `history`: the channel's latest position, publications in offset order, and `missing`
/// when some after `since` are gone.
public struct HistoryResult: Sendable, Hashable {
    public var position: StreamPosition
    public var publications: [Publication]
    public var missing: OffsetRange?
    /// True when more publications follow the last one returned (the reply was capped in bytes): ask again
    /// with `since` = the last one.
    public var more: Bool = false

    public init(position: StreamPosition, publications: [Publication], missing: OffsetRange? = nil) {
        self.position = position
        self.publications = publications
        self.missing = missing
    }
}

extension HistoryResult: JSONEncodable, JSONDecodable {
    /// `{"position":{…},"publications":[…],"missing":{…}?,"more":true?}`.
    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("position")
        self.position.encode(to: &writer)
        writer.key("publications")
        writer.beginArray()
        for publication in self.publications { publication.encode(to: &writer) }
        writer.endArray()
        if let missing = self.missing {
            writer.key("missing")
            missing.encode(to: &writer)
        }
        if self.more {
            writer.key("more")
            writer.bool(true)
        }
        writer.endObject()
    }

    public init(json: JSONValue) throws(JSONShapeError) {
        let object = try json.requireObject("history result")
        self.init(
            position: try object.decode("position"),
            publications: try object.decodeArray("publications"),
            missing: try object.optionalDecode("missing")
        )
        self.more = try object.optionalBool("more") ?? false
    }
}
