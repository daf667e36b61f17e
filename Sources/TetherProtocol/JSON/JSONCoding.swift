/// A type that writes itself as one JSON value. Protocol messages implement it by writing straight into the
/// writer's text, without building a ``JSONValue`` first.
public protocol JSONEncodable {
    func encode(to writer: inout JSONWriter)
}

/// A type that can be read from a parsed JSON value (client side: replies and pushes; server API bodies).
public protocol JSONDecodable {
    init(json: JSONValue) throws(JSONShapeError)
}

extension JSONEncodable {
    /// The compact JSON text of this value.
    public func encoded() -> String {
        var writer = JSONWriter()
        self.encode(to: &writer)
        return writer.text
    }

    /// The compact JSON text of this value as UTF-8 bytes.
    public func encodedBytes() -> [UInt8] {
        var writer = JSONWriter()
        self.encode(to: &writer)
        return writer.bytes
    }
}
