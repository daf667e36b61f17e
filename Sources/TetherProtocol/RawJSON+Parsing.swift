extension RawJSON {
    /// Validates `text` as one JSON value (strictly, within `limits`) and keeps its canonical compact form:
    /// insignificant whitespace removed, strings that contain escapes re-escaped the one canonical way
    /// (`\" \\ \b \f \n \r \t`, other control characters as `\u00xx`, everything else literal). Compact text
    /// as written by `JSON.stringify` or this module is kept byte for byte.
    public init(validating text: String, limits: JSONLimits = .default) throws(JSONParseError) {
        let canonical = try JSONReader.withReader(text, limits: limits) {
            (reader: inout JSONReader) throws(JSONParseError) in
            try reader.captureDocument()
        }
        self.init(unchecked: String(decoding: canonical, as: UTF8.self))
    }

    /// Validates UTF-8 bytes as one JSON value, as ``init(validating:limits:)-(String,_)``.
    public init(validating bytes: some Collection<UInt8>, limits: JSONLimits = .default) throws(JSONParseError) {
        let canonical = try JSONReader.withReader(bytes, limits: limits) {
            (reader: inout JSONReader) throws(JSONParseError) in
            try reader.captureDocument()
        }
        self.init(unchecked: String(decoding: canonical, as: UTF8.self))
    }

    /// The canonical compact text of `value` (the same text ``init(validating:limits:)-(String,_)`` yields for
    /// any encoding of it).
    public init(_ value: JSONValue) {
        var writer = JSONWriter()
        value.encode(to: &writer)
        self.init(unchecked: writer.text)
    }

    /// Parses the text back into a ``JSONValue`` (no size limit; nesting up to `maxDepth`).
    public func parsed(maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
        try JSONValue(parsing: self.text, limits: JSONLimits(maxBytes: .max, maxDepth: maxDepth))
    }
}

extension RawJSON: JSONEncodable {
    public func encode(to writer: inout JSONWriter) {
        writer.raw(self)
    }
}

extension JSONReader {
    fileprivate mutating func captureDocument() throws(JSONParseError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(self.bytes.count)
        try self.captureValue(into: &output)
        try self.expectEnd()
        return output
    }
}
