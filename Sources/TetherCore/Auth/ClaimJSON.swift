import TetherProtocol

/// Any JSON value inside a token claim, re-encoded compactly so it can be shown in presence verbatim.
struct ClaimJSON: Codable, Sendable {
    let raw: RawJSON

    init(from decoder: any Decoder) throws {
        self.raw = RawJSON(unchecked: try Self.encode(decoder))
    }

    func encode(to encoder: any Encoder) throws {
        try Self.write(try self.raw.parsed(), to: encoder)
    }

    private static func write(_ value: JSONValue, to encoder: any Encoder) throws {
        switch value {
        case .object(let object):
            var container = encoder.container(keyedBy: AnyKey.self)
            for member in object.members {
                try Self.write(member.value, to: container.superEncoder(forKey: AnyKey(stringValue: member.key)))
            }
        case .array(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try Self.write(item, to: container.superEncoder()) }
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let bool):
            var container = encoder.singleValueContainer()
            try container.encode(bool)
        case .number(let number):
            var container = encoder.singleValueContainer()
            if let int = number.int64 { try container.encode(int) } else { try container.encode(number.double ?? 0) }
        case .string(let string):
            var container = encoder.singleValueContainer()
            try container.encode(string)
        }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private struct Element: Decodable {
        let text: String
        init(from decoder: any Decoder) throws { self.text = try ClaimJSON.encode(decoder) }
    }

    fileprivate static func encode(_ decoder: any Decoder) throws -> String {
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            let members = try object.allKeys.sorted { $0.stringValue < $1.stringValue }.map { key in
                Self.quoted(key.stringValue) + ":" + (try object.decode(Element.self, forKey: key)).text
            }
            return "{" + members.joined(separator: ",") + "}"
        }
        if var array = try? decoder.unkeyedContainer() {
            var items: [String] = []
            while !array.isAtEnd { items.append(try array.decode(Element.self).text) }
            return "[" + items.joined(separator: ",") + "]"
        }
        let value = try decoder.singleValueContainer()
        if value.decodeNil() { return "null" }
        if let bool = try? value.decode(Bool.self) { return bool ? "true" : "false" }
        if let int = try? value.decode(Int64.self) { return String(int) }
        if let double = try? value.decode(Double.self), double.isFinite { return "\(double)" }
        return Self.quoted(try value.decode(String.self))
    }

    private static func quoted(_ text: String) -> String {
        var writer = JSONWriter()
        writer.string(text)
        return writer.text
    }
}
