extension JSONReader {
    /// Consumes a string starting at the `"` at `index`, validating UTF-8 and escapes. Returns the range of the
    /// content (between the quotes, escapes undecoded) and whether it contains any escape.
    mutating func scanString() throws(JSONParseError) -> (range: Range<Int>, escaped: Bool) {
        self.index += 1
        let start = self.index
        let count = self.bytes.count
        var escaped = false
        while self.index < count {
            let byte = self.bytes[self.index]
            if byte == 0x22 {
                let end = self.index
                self.index += 1
                return (start..<end, escaped)
            }
            if byte == 0x5C {
                escaped = true
                try self.scanEscape()
            } else if byte < 0x20 {
                throw self.failure(.controlCharacter)
            } else if byte < 0x80 {
                self.index += 1
            } else {
                try self.scanMultibyte()
            }
        }
        throw self.failure(.unexpectedEnd)
    }

    /// One escape starting at the backslash at `index`.
    private mutating func scanEscape() throws(JSONParseError) {
        let start = self.index
        guard start + 1 < self.bytes.count else { throw self.failure(.unexpectedEnd, at: self.bytes.count) }
        switch self.bytes[start + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            self.index += 2
        case UInt8(ascii: "u"):
            let unit = try self.hex4(at: start + 2)
            self.index += 6
            if unit >= 0xDC00 && unit <= 0xDFFF { throw self.failure(.loneSurrogate, at: start) }
            if unit >= 0xD800 && unit <= 0xDBFF {
                let next = self.index
                guard next < self.bytes.count else { throw self.failure(.unexpectedEnd) }
                guard self.bytes[next] == 0x5C else { throw self.failure(.loneSurrogate, at: start) }
                guard next + 1 < self.bytes.count else { throw self.failure(.unexpectedEnd, at: self.bytes.count) }
                guard self.bytes[next + 1] == UInt8(ascii: "u") else { throw self.failure(.loneSurrogate, at: start) }
                let low = try self.hex4(at: next + 2)
                guard low >= 0xDC00 && low <= 0xDFFF else { throw self.failure(.loneSurrogate, at: start) }
                self.index += 6
            }
        default:
            throw self.failure(.invalidEscape, at: start)
        }
    }

    /// The four hex digits at `offset`.
    private func hex4(at offset: Int) throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for at in offset..<(offset + 4) {
            guard at < self.bytes.count else { throw self.failure(.unexpectedEnd, at: self.bytes.count) }
            guard let digit = Self.hexValue(self.bytes[at]) else { throw self.failure(.invalidEscape, at: at) }
            value = value << 4 | digit
        }
        return value
    }

    @inline(__always)
    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case 0x30...0x39: UInt32(byte - 0x30)
        case 0x41...0x46: UInt32(byte - 0x41 + 10)
        case 0x61...0x66: UInt32(byte - 0x61 + 10)
        default: nil
        }
    }

    /// One well-formed UTF-8 sequence of 2–4 bytes starting at `index` (RFC 3629, table 3-7 of Unicode).
    private mutating func scanMultibyte() throws(JSONParseError) {
        let start = self.index
        let lead = self.bytes[start]
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        let continuation: Int
        switch lead {
        case 0xC2...0xDF: continuation = 1
        case 0xE0: continuation = 2; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: continuation = 2
        case 0xED: continuation = 2; high = 0x9F
        case 0xF0: continuation = 3; low = 0x90
        case 0xF1...0xF3: continuation = 3
        case 0xF4: continuation = 3; high = 0x8F
        default: throw self.failure(.invalidUTF8, at: start)
        }
        for offset in 1...continuation {
            let at = start + offset
            guard at < self.bytes.count else { throw self.failure(.unexpectedEnd, at: self.bytes.count) }
            let byte = self.bytes[at]
            let (lower, upper): (UInt8, UInt8) = offset == 1 ? (low, high) : (0x80, 0xBF)
            guard byte >= lower && byte <= upper else { throw self.failure(.invalidUTF8, at: start) }
        }
        self.index = start + continuation + 1
    }

    /// The string content of a range returned by ``scanString()``.
    func string(_ range: Range<Int>, escaped: Bool) -> String {
        if !escaped { return self.text(range) }
        return String(decoding: self.unescaped(range), as: UTF8.self)
    }

    /// The UTF-8 of a validated string content range with its escapes decoded.
    func unescaped(_ range: Range<Int>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(range.count)
        var at = range.lowerBound
        while at < range.upperBound {
            let byte = self.bytes[at]
            guard byte == 0x5C else {
                output.append(byte)
                at += 1
                continue
            }
            let escape = self.bytes[at + 1]
            at += 2
            switch escape {
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = self.validatedHex4(at: at)
                at += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    let low = self.validatedHex4(at: at + 2)
                    at += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                Self.appendUTF8(scalar, to: &output)
            default: output.append(escape)  // " \ /
            }
        }
        return output
    }

    private func validatedHex4(at offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for at in offset..<(offset + 4) { value = value << 4 | (Self.hexValue(self.bytes[at]) ?? 0) }
        return value
    }

    private static func appendUTF8(_ scalar: UInt32, to output: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            output.append(UInt8(scalar))
        case 0x80..<0x800:
            output.append(UInt8(0xC0 | scalar >> 6))
            output.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            output.append(UInt8(0xE0 | scalar >> 12))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        default:
            output.append(UInt8(0xF0 | scalar >> 18))
            output.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            output.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
