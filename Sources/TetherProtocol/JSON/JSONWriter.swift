/// Builds compact JSON text in a UTF-8 byte buffer.
///
/// Commas are inserted automatically: every value writer (`string`, `number`, `beginObject`, …) and ``key(_:)``
/// put a comma before themselves when a previous sibling was written. Callers are responsible for balanced
/// `begin`/`end` calls and for calling ``key(_:)`` before each value inside an object; the writer does not check
/// (it is on the fan-out hot path).
public struct JSONWriter: Sendable {
    /// The UTF-8 written so far (always valid UTF-8).
    public private(set) var bytes: [UInt8]
    private var needsComma = false

    public init(capacity: Int = 128) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
    }

    /// The text written so far.
    public var text: String { String(decoding: self.bytes, as: UTF8.self) }

    @inline(__always)
    private mutating func separate() {
        if self.needsComma { self.bytes.append(UInt8(ascii: ",")) }
    }

    public mutating func beginObject() {
        self.separate()
        self.bytes.append(UInt8(ascii: "{"))
        self.needsComma = false
    }

    public mutating func endObject() {
        self.bytes.append(UInt8(ascii: "}"))
        self.needsComma = true
    }

    public mutating func beginArray() {
        self.separate()
        self.bytes.append(UInt8(ascii: "["))
        self.needsComma = false
    }

    public mutating func endArray() {
        self.bytes.append(UInt8(ascii: "]"))
        self.needsComma = true
    }

    /// Writes `"key":` (escaped); the member's value must follow.
    public mutating func key(_ key: String) {
        self.separate()
        self.appendQuoted(key)
        self.bytes.append(UInt8(ascii: ":"))
        self.needsComma = false
    }

    public mutating func string(_ value: String) {
        self.separate()
        self.appendQuoted(value)
        self.needsComma = true
    }

    public mutating func number(_ value: UInt64) {
        self.separate()
        self.appendDecimal(value)
        self.needsComma = true
    }

    public mutating func number(_ value: Int) {
        self.number(Int64(value))
    }

    public mutating func number(_ value: Int64) {
        self.separate()
        if value < 0 { self.bytes.append(UInt8(ascii: "-")) }
        self.appendDecimal(value.magnitude)
        self.needsComma = true
    }

    public mutating func number(_ value: JSONNumber) {
        self.separate()
        self.appendUTF8(value.text)
        self.needsComma = true
    }

    public mutating func bool(_ value: Bool) {
        self.separate()
        self.appendUTF8(value ? "true" : "false")
        self.needsComma = true
    }

    public mutating func null() {
        self.separate()
        self.appendUTF8("null")
        self.needsComma = true
    }

    /// Copies an already-encoded value verbatim.
    public mutating func raw(_ value: RawJSON) {
        self.separate()
        self.appendUTF8(value.text)
        self.needsComma = true
    }

    /// Writes any encodable value (it handles its own comma).
    public mutating func value(_ value: some JSONEncodable) {
        value.encode(to: &self)
    }

    @inline(__always)
    private mutating func appendUTF8(_ text: String) {
        var text = text
        text.withUTF8 { self.bytes.append(contentsOf: $0) }
    }

    private mutating func appendDecimal(_ value: UInt64) {
        if value < 10 {
            self.bytes.append(0x30 + UInt8(value))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var rest = value
            var start = 20
            while rest > 0 {
                start -= 1
                digits[start] = 0x30 + UInt8(rest % 10)
                rest /= 10
            }
            self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    private mutating func appendQuoted(_ value: String) {
        self.bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            if utf8.contains(where: JSONEscaping.needsEscape) {
                JSONEscaping.appendEscaped(utf8, into: &self.bytes)
            } else {
                self.bytes.append(contentsOf: utf8)
            }
        }
        self.bytes.append(UInt8(ascii: "\""))
    }
}
