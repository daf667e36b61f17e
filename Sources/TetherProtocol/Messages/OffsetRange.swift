/// Offsets `from … to`, both inclusive: what a client missed (`missing`, `gap`).
public struct OffsetRange: Sendable, Hashable, CustomStringConvertible {
    public var from: UInt64
    public var to: UInt64

    public init(from: UInt64, to: UInt64) {
        self.from = from
        self.to = to
    }

    /// Number of offsets in the range (0 when `to < from`).
    public var count: UInt64 { self.to >= self.from ? self.to - self.from + 1 : 0 }

    public var description: String { "\(self.from)…\(self.to)" }
}

/// `{"from":A,"to":B}`.
extension OffsetRange: JSONEncodable, JSONDecodable {
    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        self.encodeFields(to: &writer)
        writer.endObject()
    }

    /// `"from":A,"to":B` inside an object being written (the `gap` push inlines them).
    func encodeFields(to writer: inout JSONWriter) {
        writer.key("from")
        writer.number(self.from)
        writer.key("to")
        writer.number(self.to)
    }

    public init(json: JSONValue) throws(JSONShapeError) {
        try self.init(fields: json.requireObject("missing"))
    }

    init(fields: JSONObject) throws(JSONShapeError) {
        self.init(from: try fields.uint64("from"), to: try fields.uint64("to"))
    }
}
