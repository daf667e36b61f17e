extension JSONReader {
    /// Parses the value at `index` (after optional whitespace) into a ``JSONValue``.
    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        let byte = try self.peek()
        switch byte {
        case UInt8(ascii: "{"):
            try self.enterContainer()
            var object = JSONObject()
            if try self.peek() == UInt8(ascii: "}") {
                self.leaveContainer()
                return .object(object)
            }
            repeat {
                let key = try self.scanKey()
                let value = try self.parseValue()
                object.members.append(JSONObject.Member(key: self.string(key.range, escaped: key.escaped), value: value))
            } while try !self.endOfMember(closing: UInt8(ascii: "}"))
            return .object(object)
        case UInt8(ascii: "["):
            try self.enterContainer()
            var elements: [JSONValue] = []
            if try self.peek() == UInt8(ascii: "]") {
                self.leaveContainer()
                return .array(elements)
            }
            repeat {
                elements.append(try self.parseValue())
            } while try !self.endOfMember(closing: UInt8(ascii: "]"))
            return .array(elements)
        case UInt8(ascii: "\""):
            let string = try self.scanString()
            return .string(self.string(string.range, escaped: string.escaped))
        case UInt8(ascii: "t"):
            try self.expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), 0x30...0x39:
            return .number(JSONNumber(unchecked: self.text(try self.scanNumber())))
        default:
            throw self.failure(.unexpectedByte(byte))
        }
    }

    /// Validates the value at `index` and appends its canonical compact text to `output`: the source with
    /// insignificant whitespace removed and each string that contains escapes re-escaped the one canonical way
    /// (``JSONEscaping``). Strings without escapes, numbers and literals are copied byte for byte, so compact
    /// input written by `JSON.stringify` or ``JSONWriter`` comes out unchanged.
    mutating func captureValue(into output: inout [UInt8]) throws(JSONParseError) {
        let byte = try self.peek()
        switch byte {
        case UInt8(ascii: "{"):
            try self.enterContainer()
            output.append(byte)
            if try self.peek() == UInt8(ascii: "}") {
                self.leaveContainer()
                output.append(UInt8(ascii: "}"))
                return
            }
            while true {
                let key = try self.scanKey()
                self.appendCanonicalString(key.range, escaped: key.escaped, to: &output)
                output.append(UInt8(ascii: ":"))
                try self.captureValue(into: &output)
                if try self.endOfMember(closing: UInt8(ascii: "}")) { break }
                output.append(UInt8(ascii: ","))
            }
            output.append(UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            try self.enterContainer()
            output.append(byte)
            if try self.peek() == UInt8(ascii: "]") {
                self.leaveContainer()
                output.append(UInt8(ascii: "]"))
                return
            }
            while true {
                try self.captureValue(into: &output)
                if try self.endOfMember(closing: UInt8(ascii: "]")) { break }
                output.append(UInt8(ascii: ","))
            }
            output.append(UInt8(ascii: "]"))
        case UInt8(ascii: "\""):
            let string = try self.scanString()
            self.appendCanonicalString(string.range, escaped: string.escaped, to: &output)
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "-"), 0x30...0x39:
            let start = self.index
            try self.skipScalar(byte)
            output.append(contentsOf: UnsafeBufferPointer(rebasing: self.bytes[start..<self.index]))
        default:
            throw self.failure(.unexpectedByte(byte))
        }
    }

    /// Validates the value at `index` without keeping anything.
    mutating func skipValue() throws(JSONParseError) {
        let byte = try self.peek()
        switch byte {
        case UInt8(ascii: "{"):
            try self.enterContainer()
            if try self.peek() == UInt8(ascii: "}") {
                self.leaveContainer()
                return
            }
            repeat {
                _ = try self.scanKey()
                try self.skipValue()
            } while try !self.endOfMember(closing: UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            try self.enterContainer()
            if try self.peek() == UInt8(ascii: "]") {
                self.leaveContainer()
                return
            }
            repeat {
                try self.skipValue()
            } while try !self.endOfMember(closing: UInt8(ascii: "]"))
        case UInt8(ascii: "\""):
            _ = try self.scanString()
        default:
            try self.skipScalar(byte)
        }
    }

    /// A literal or number starting with `byte` at `index`.
    private mutating func skipScalar(_ byte: UInt8) throws(JSONParseError) {
        switch byte {
        case UInt8(ascii: "t"): try self.expectLiteral("true")
        case UInt8(ascii: "f"): try self.expectLiteral("false")
        case UInt8(ascii: "n"): try self.expectLiteral("null")
        case UInt8(ascii: "-"), 0x30...0x39: _ = try self.scanNumber()
        default: throw self.failure(.unexpectedByte(byte))
        }
    }

    private func appendCanonicalString(_ range: Range<Int>, escaped: Bool, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        if escaped {
            JSONEscaping.appendEscaped(self.unescaped(range), into: &output)
        } else {
            output.append(contentsOf: UnsafeBufferPointer(rebasing: self.bytes[range]))
        }
        output.append(UInt8(ascii: "\""))
    }
}
