/// `publish` fields (also the server API's `publish` body).
public struct PublishRequest: Sendable, Hashable {
    public var channel: String
    /// Any JSON value; the node limits its ``RawJSON/byteCount`` (`max_publication_size`).
    public var data: RawJSON
    /// Idempotency key: 1–64 printable ASCII characters (``isValidKey(_:)``).
    public var key: String?

    public init(channel: String, data: RawJSON, key: String? = nil) {
        self.channel = channel
        self.data = data
        self.key = key
    }

    public static let maxKeyLength = 64

    /// Whether `key` is 1–64 printable ASCII characters (0x20–0x7E).
    public static func isValidKey(_ key: String) -> Bool {
        let utf8 = key.utf8
        return !utf8.isEmpty && utf8.count <= Self.maxKeyLength && utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }
    }
}

extension PublishRequest: JSONEncodable, JSONDecodable {
    /// `{"channel":"…","data":…,"key":"…"}`.
    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        self.encodeFields(to: &writer)
        writer.endObject()
    }

    func encodeFields(to writer: inout JSONWriter) {
        writer.key("channel")
        writer.string(self.channel)
        writer.key("data")
        writer.raw(self.data)
        if let key = self.key {
            writer.key("key")
            writer.string(key)
        }
    }

    /// Reads `data` from the parsed value (re-encoded canonically, see ``RawJSON/init(_:)``); a `key` that is
    /// not 1–64 printable ASCII characters is a shape error.
    public init(json: JSONValue) throws(JSONShapeError) {
        let fields = try json.requireObject("request")
        try self.init(fields: fields, data: fields["data"].map { RawJSON($0) })
    }

    /// `data` is the envelope's captured `data` member (nil when absent).
    init(fields: JSONObject, data: RawJSON?) throws(JSONShapeError) {
        guard let data else { throw .missing("data") }
        let key = try fields.optionalString("key")
        if let key, !Self.isValidKey(key) {
            throw JSONShapeError("\"key\" must be 1 to 64 printable ASCII characters")
        }
        self.init(channel: try fields.string("channel"), data: data, key: key)
    }
}
