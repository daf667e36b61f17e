/// Typed field access used by the protocol decoders. "Optional" fields treat an explicit `null` as absent.
extension JSONObject {
    func required(_ key: String) throws(JSONShapeError) -> JSONValue {
        guard let value = self[key] else { throw .missing(key) }
        return value
    }

    /// The member, or nil when it is absent or `null`.
    func optional(_ key: String) -> JSONValue? {
        guard let value = self[key], !value.isNull else { return nil }
        return value
    }

    func string(_ key: String) throws(JSONShapeError) -> String {
        guard let value = try self.required(key).stringValue else { throw .wrongType(key, "a string") }
        return value
    }

    func optionalString(_ key: String) throws(JSONShapeError) -> String? {
        guard let value = self.optional(key) else { return nil }
        guard let string = value.stringValue else { throw .wrongType(key, "a string") }
        return string
    }

    func bool(_ key: String) throws(JSONShapeError) -> Bool {
        guard let value = try self.required(key).boolValue else { throw .wrongType(key, "a boolean") }
        return value
    }

    func optionalBool(_ key: String) throws(JSONShapeError) -> Bool? {
        guard let value = self.optional(key) else { return nil }
        guard let bool = value.boolValue else { throw .wrongType(key, "a boolean") }
        return bool
    }

    func uint64(_ key: String) throws(JSONShapeError) -> UInt64 {
        guard let value = try self.required(key).uint64Value else { throw .wrongType(key, "a non-negative integer") }
        return value
    }

    /// A non-negative integer that fits `Int`.
    func count(_ key: String) throws(JSONShapeError) -> Int {
        guard let value = try self.required(key).intValue, value >= 0 else {
            throw .wrongType(key, "a non-negative integer")
        }
        return value
    }

    func optionalCount(_ key: String) throws(JSONShapeError) -> Int? {
        guard let value = self.optional(key) else { return nil }
        guard let int = value.intValue, int >= 0 else { throw .wrongType(key, "a non-negative integer") }
        return int
    }

    func int(_ key: String) throws(JSONShapeError) -> Int {
        guard let value = try self.required(key).intValue else { throw .wrongType(key, "an integer") }
        return value
    }

    func optionalInt(_ key: String) throws(JSONShapeError) -> Int? {
        guard let value = self.optional(key) else { return nil }
        guard let int = value.intValue else { throw .wrongType(key, "an integer") }
        return int
    }

    func optionalInt64(_ key: String) throws(JSONShapeError) -> Int64? {
        guard let value = self.optional(key) else { return nil }
        guard let int = value.int64Value else { throw .wrongType(key, "an integer") }
        return int
    }

    func object(_ key: String) throws(JSONShapeError) -> JSONObject {
        guard let value = try self.required(key).objectValue else { throw .wrongType(key, "an object") }
        return value
    }

    func optionalObject(_ key: String) throws(JSONShapeError) -> JSONObject? {
        guard let value = self.optional(key) else { return nil }
        guard let object = value.objectValue else { throw .wrongType(key, "an object") }
        return object
    }

    func array(_ key: String) throws(JSONShapeError) -> [JSONValue] {
        guard let value = try self.required(key).arrayValue else { throw .wrongType(key, "an array") }
        return value
    }

    func optionalArray(_ key: String) throws(JSONShapeError) -> [JSONValue]? {
        guard let value = self.optional(key) else { return nil }
        guard let array = value.arrayValue else { throw .wrongType(key, "an array") }
        return array
    }

    func decode<T: JSONDecodable>(_ key: String, as type: T.Type = T.self) throws(JSONShapeError) -> T {
        try T(json: self.required(key))
    }

    func optionalDecode<T: JSONDecodable>(_ key: String, as type: T.Type = T.self) throws(JSONShapeError) -> T? {
        guard let value = self.optional(key) else { return nil }
        return try T(json: value)
    }

    func decodeArray<T: JSONDecodable>(_ key: String, as type: T.Type = T.self) throws(JSONShapeError) -> [T] {
        var result: [T] = []
        for element in try self.array(key) { result.append(try T(json: element)) }
        return result
    }

    func optionalDecodeArray<T: JSONDecodable>(_ key: String, as type: T.Type = T.self) throws(JSONShapeError) -> [T]? {
        guard self.optional(key) != nil else { return nil }
        return try self.decodeArray(key, as: type)
    }
}

extension JSONValue {
    /// This value as an object, or a shape error naming `what`.
    func requireObject(_ what: String) throws(JSONShapeError) -> JSONObject {
        guard let object = self.objectValue else { throw JSONShapeError("\(what) must be an object") }
        return object
    }
}
