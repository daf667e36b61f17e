/// The top-level object of a protocol message, read in one pass: the members a message type knows (by
/// `isKnown`) as ``JSONValue``s, the `data` member captured as canonical ``RawJSON`` (never built into a
/// ``JSONValue``), unknown members validated and dropped.
struct JSONEnvelope {
    /// Known members in source order (duplicates kept).
    var fields = JSONObject()
    /// The `data` member, if present (the last one when repeated).
    var data: RawJSON?
    /// The first known key (or `data`) that appeared twice.
    var duplicateKey: String?

    static let dataKey = "data"

    enum Outcome {
        case object(JSONEnvelope)
        /// Valid JSON whose top-level value is not an object.
        case notAnObject
    }

    /// Parses a whole message. Throws when the input is not one valid JSON text within `limits`.
    static func parse(
        _ bytes: some Collection<UInt8>,
        limits: JSONLimits,
        isKnown: (String) -> Bool
    ) throws(JSONParseError) -> Outcome {
        try JSONReader.withReader(bytes, limits: limits) { (reader: inout JSONReader) throws(JSONParseError) in
            try reader.parseEnvelope(isKnown: isKnown)
        }
    }

    /// Parses a whole message given as text.
    static func parse(
        _ text: String,
        limits: JSONLimits,
        isKnown: (String) -> Bool
    ) throws(JSONParseError) -> Outcome {
        try JSONReader.withReader(text, limits: limits) { (reader: inout JSONReader) throws(JSONParseError) in
            try reader.parseEnvelope(isKnown: isKnown)
        }
    }
}

extension JSONReader {
    mutating func parseEnvelope(isKnown: (String) -> Bool) throws(JSONParseError) -> JSONEnvelope.Outcome {
        guard try self.peek() == UInt8(ascii: "{") else {
            try self.skipValue()
            try self.expectEnd()
            return .notAnObject
        }
        try self.enterContainer()
        var envelope = JSONEnvelope()
        if try self.peek() == UInt8(ascii: "}") {
            self.leaveContainer()
            try self.expectEnd()
            return .object(envelope)
        }
        repeat {
            let keyRange = try self.scanKey()
            let key = self.string(keyRange.range, escaped: keyRange.escaped)
            if key == JSONEnvelope.dataKey {
                var captured: [UInt8] = []
                captured.reserveCapacity(self.bytes.count - self.index)
                try self.captureValue(into: &captured)
                if envelope.data != nil, envelope.duplicateKey == nil { envelope.duplicateKey = key }
                envelope.data = RawJSON(unchecked: String(decoding: captured, as: UTF8.self))
            } else if isKnown(key) {
                let value = try self.parseValue()
                if envelope.duplicateKey == nil, envelope.fields[key] != nil { envelope.duplicateKey = key }
                envelope.fields.append(key, value)
            } else {
                try self.skipValue()
            }
        } while try !self.endOfMember(closing: UInt8(ascii: "}"))
        try self.expectEnd()
        return .object(envelope)
    }
}
