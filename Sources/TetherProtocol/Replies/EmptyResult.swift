/// The `{}` result of `unsubscribe` and `ping`.
public struct EmptyResult: Sendable, Hashable, JSONEncodable, JSONDecodable {
    public init() {}

    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.endObject()
    }

    /// Accepts any object (unknown keys are ignored).
    public init(json: JSONValue) throws(JSONShapeError) {
        _ = try json.requireObject("result")
    }
}
