/// The strict RFC 8259 reader behind every parse in this module.
///
/// It reads one contiguous UTF-8 buffer that is only valid inside ``withReader(_:limits:_:)``; it never copies
/// the input except to build strings and captured values. Recursion depth is bounded by `maxDepth`.
struct JSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var index = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Runs `body` with a reader over the input's bytes, after checking `limits.maxBytes`.
    static func withReader<R>(
        _ input: some Collection<UInt8>,
        limits: JSONLimits,
        _ body: (inout JSONReader) throws(JSONParseError) -> R
    ) throws(JSONParseError) -> R {
        if let result = input.withContiguousStorageIfAvailable({ Self.run($0, limits, body) }) {
            return try result.get()
        }
        let count = input.count
        if count > limits.maxBytes {
            throw JSONParseError(.tooLarge(limit: limits.maxBytes), offset: limits.maxBytes)
        }
        return try Array(input).withUnsafeBufferPointer { Self.run($0, limits, body) }.get()
    }

    /// Runs `body` with a reader over the UTF-8 of `text`, after checking `limits.maxBytes`.
    static func withReader<R>(
        _ text: String,
        limits: JSONLimits,
        _ body: (inout JSONReader) throws(JSONParseError) -> R
    ) throws(JSONParseError) -> R {
        var text = text
        return try text.withUTF8 { Self.run($0, limits, body) }.get()
    }

    private static func run<R>(
        _ buffer: UnsafeBufferPointer<UInt8>,
        _ limits: JSONLimits,
        _ body: (inout JSONReader) throws(JSONParseError) -> R
    ) -> Result<R, JSONParseError> {
        if buffer.count > limits.maxBytes {
            return .failure(JSONParseError(.tooLarge(limit: limits.maxBytes), offset: limits.maxBytes))
        }
        var reader = JSONReader(bytes: buffer, maxDepth: limits.maxDepth)
        do {
            return .success(try body(&reader))
        } catch {
            return .failure(error)
        }
    }

    func failure(_ kind: JSONParseError.Kind, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(kind, offset: offset ?? self.index)
    }

    // MARK: Structure

    @inline(__always)
    mutating func skipWhitespace() {
        while self.index < self.bytes.count {
            switch self.bytes[self.index] {
            case 0x20, 0x0A, 0x0D, 0x09: self.index += 1
            default: return
            }
        }
    }

    /// Skips whitespace and returns the next byte without consuming it.
    @inline(__always)
    mutating func peek() throws(JSONParseError) -> UInt8 {
        self.skipWhitespace()
        guard self.index < self.bytes.count else { throw self.failure(.unexpectedEnd) }
        return self.bytes[self.index]
    }

    /// Fails unless only whitespace is left.
    mutating func expectEnd() throws(JSONParseError) {
        self.skipWhitespace()
        if self.index < self.bytes.count { throw self.failure(.trailingData) }
    }

    /// Consumes `{` or `[` at `index`, counting depth.
    mutating func enterContainer() throws(JSONParseError) {
        self.depth += 1
        if self.depth > self.maxDepth { throw self.failure(.tooDeep(limit: self.maxDepth)) }
        self.index += 1
    }

    /// Consumes `}` or `]` at `index`.
    mutating func leaveContainer() {
        self.depth -= 1
        self.index += 1
    }

    /// Consumes `"key"` and the `:` after it; returns the key's content range and whether it has escapes.
    mutating func scanKey() throws(JSONParseError) -> (range: Range<Int>, escaped: Bool) {
        let quote = try self.peek()
        guard quote == UInt8(ascii: "\"") else { throw self.failure(.unexpectedByte(quote)) }
        let key = try self.scanString()
        let colon = try self.peek()
        guard colon == UInt8(ascii: ":") else { throw self.failure(.unexpectedByte(colon)) }
        self.index += 1
        return key
    }

    /// After a member or element: consumes `,` (returns false) or the closing byte (returns true).
    mutating func endOfMember(closing: UInt8) throws(JSONParseError) -> Bool {
        let byte = try self.peek()
        if byte == UInt8(ascii: ",") {
            self.index += 1
            return false
        }
        if byte == closing {
            self.leaveContainer()
            return true
        }
        throw self.failure(.unexpectedByte(byte))
    }

    /// Consumes the literal `true`, `false` or `null` starting at `index`.
    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let expected = literal.utf8Start
        for offset in 0..<count {
            let at = self.index + offset
            guard at < self.bytes.count else { throw self.failure(.unexpectedEnd, at: self.bytes.count) }
            let byte = self.bytes[at]
            guard byte == expected[offset] else { throw self.failure(.unexpectedByte(byte), at: at) }
        }
        self.index += count
    }

    // MARK: Numbers

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// Consumes one number starting at `index` (a `-` or a digit) and returns its range.
    mutating func scanNumber() throws(JSONParseError) -> Range<Int> {
        let start = self.index
        let count = self.bytes.count
        if self.bytes[self.index] == UInt8(ascii: "-") { self.index += 1 }
        guard self.index < count else { throw self.failure(.unexpectedEnd) }
        let first = self.bytes[self.index]
        if first == UInt8(ascii: "0") {
            self.index += 1
            if self.index < count, Self.isDigit(self.bytes[self.index]) { throw self.failure(.leadingZero, at: start) }
        } else if Self.isDigit(first) {
            self.index += 1
            while self.index < count, Self.isDigit(self.bytes[self.index]) { self.index += 1 }
        } else {
            throw self.failure(.invalidNumber)
        }
        if self.index < count, self.bytes[self.index] == UInt8(ascii: ".") {
            self.index += 1
            try self.scanDigits()
        }
        if self.index < count, self.bytes[self.index] | 0x20 == UInt8(ascii: "e") {
            self.index += 1
            if self.index < count, self.bytes[self.index] == UInt8(ascii: "+") || self.bytes[self.index] == UInt8(ascii: "-") {
                self.index += 1
            }
            try self.scanDigits()
        }
        return start..<self.index
    }

    /// One or more digits.
    private mutating func scanDigits() throws(JSONParseError) {
        guard self.index < self.bytes.count else { throw self.failure(.unexpectedEnd) }
        guard Self.isDigit(self.bytes[self.index]) else { throw self.failure(.invalidNumber) }
        while self.index < self.bytes.count, Self.isDigit(self.bytes[self.index]) { self.index += 1 }
    }

    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: self.bytes[range]), as: UTF8.self)
    }
}
