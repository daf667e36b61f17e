/// A JSON object as its members in source order. Duplicate keys are kept as read; lookups by key see the last
/// one (as JavaScript's `JSON.parse` does).
public struct JSONObject: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: JSONValue

        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    public var members: [Member]

    public init(_ members: [Member] = []) {
        self.members = members
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.members = elements.map { Member(key: $0.0, value: $0.1) }
    }

    /// The value of the last member named `key` (linear search: protocol objects are small).
    public subscript(key: String) -> JSONValue? {
        for member in self.members.reversed() where member.key == key {
            return member.value
        }
        return nil
    }

    public mutating func append(_ key: String, _ value: JSONValue) {
        self.members.append(Member(key: key, value: value))
    }

    public var count: Int { self.members.count }
    public var isEmpty: Bool { self.members.isEmpty }
}
