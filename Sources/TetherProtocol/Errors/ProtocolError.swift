/// A reply error: `{"code":N,"message":"…","temporary":bool}`. `temporary: true` means the same command may
/// succeed if retried later; the connection stays open either way.
public struct ProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    public var temporary: Bool

    /// `message` defaults to the code's name, `temporary` to ``ErrorCode/isTemporary``.
    public init(_ code: ErrorCode, _ message: String? = nil, temporary: Bool? = nil) {
        self.code = code
        self.message = message ?? code.name
        self.temporary = temporary ?? code.isTemporary
    }

    public var description: String {
        "\(self.code.rawValue) \(self.message)\(self.temporary ? " (temporary)" : "")"
    }
}

extension ProtocolError: JSONEncodable, JSONDecodable {
    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("code")
        writer.number(self.code.rawValue)
        writer.key("message")
        writer.string(self.message)
        writer.key("temporary")
        writer.bool(self.temporary)
        writer.endObject()
    }

    /// `message` and `temporary` may be absent (defaults as in ``init(_:_:temporary:)``).
    public init(json: JSONValue) throws(JSONShapeError) {
        let object = try json.requireObject("error")
        let code = ErrorCode(rawValue: try object.int("code"))
        self.init(code, try object.optionalString("message"), temporary: try object.optionalBool("temporary"))
    }
}
