/// The result of `refresh`: when the new token expires (nil when it has no `exp`).
public struct RefreshResult: Sendable, Hashable {
    public var expiresAt: Int64?

    public init(expiresAt: Int64?) {
        self.expiresAt = expiresAt
    }
}

extension RefreshResult: JSONEncodable, JSONDecodable {
    /// `{"expires_at":N}`, or `{}` without expiry.
    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        if let expiresAt = self.expiresAt {
            writer.key("expires_at")
            writer.number(expiresAt)
        }
        writer.endObject()
    }

    public init(json: JSONValue) throws(JSONShapeError) {
        self.init(expiresAt: try json.requireObject("refresh result").optionalInt64("expires_at"))
    }
}
