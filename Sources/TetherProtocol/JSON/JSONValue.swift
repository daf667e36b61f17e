/// One JSON value (RFC 8259). Numbers keep their literal text (``JSONNumber``); objects keep member order
/// (``JSONObject``).
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// Parses one JSON text from UTF-8 bytes, strictly: invalid UTF-8, lone surrogate escapes, leading zeros,
    /// trailing data, nesting deeper than `limits.maxDepth` and input longer than `limits.maxBytes` all fail.
    public static func parse(
        _ bytes: some Collection<UInt8>,
        limits: JSONLimits = .default
    ) throws(JSONParseError) -> JSONValue {
        try JSONReader.withReader(bytes, limits: limits) { (reader: inout JSONReader) throws(JSONParseError) in
            let value = try reader.parseValue()
            try reader.expectEnd()
            return value
        }
    }

    /// Parses one JSON text, as ``parse(_:limits:)``.
    public init(parsing text: String, limits: JSONLimits = .default) throws(JSONParseError) {
        self = try JSONReader.withReader(text, limits: limits) { (reader: inout JSONReader) throws(JSONParseError) in
            let value = try reader.parseValue()
            try reader.expectEnd()
            return value
        }
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var numberValue: JSONNumber? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// See ``JSONNumber/uint64``.
    public var uint64Value: UInt64? { self.numberValue?.uint64 }
    /// See ``JSONNumber/int64``.
    public var int64Value: Int64? { self.numberValue?.int64 }
    /// See ``JSONNumber/int``.
    public var intValue: Int? { self.numberValue?.int }
    /// See ``JSONNumber/double``.
    public var doubleValue: Double? { self.numberValue?.double }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The member `key` when this is an object (last one wins), else nil.
    public subscript(key: String) -> JSONValue? {
        self.objectValue?[key]
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { JSONObject.Member(key: $0.0, value: $0.1) }))
    }
}

extension JSONValue: JSONEncodable {
    public func encode(to writer: inout JSONWriter) {
        switch self {
        case .null: writer.null()
        case .bool(let value): writer.bool(value)
        case .number(let value): writer.number(value)
        case .string(let value): writer.string(value)
        case .array(let elements):
            writer.beginArray()
            for element in elements { element.encode(to: &writer) }
            writer.endArray()
        case .object(let object):
            writer.beginObject()
            for member in object.members {
                writer.key(member.key)
                member.value.encode(to: &writer)
            }
            writer.endObject()
        }
    }
}
