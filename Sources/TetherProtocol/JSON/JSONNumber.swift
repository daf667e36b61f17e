/// A JSON number kept as its literal text, so integers beyond 2^53 (offsets, timestamps) keep every digit and
/// re-encoding writes exactly what was read.
///
/// Equality is equality of the text: `1` and `1.0` are different numbers here.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The literal, valid per RFC 8259's `number` grammar.
    public let text: String

    init(unchecked text: String) {
        self.text = text
    }

    /// Validates `text` as one JSON number literal (no surrounding whitespace).
    public init?(text: String) {
        var copy = text
        let valid = copy.withUTF8 { bytes -> Bool in
            guard !bytes.isEmpty else { return false }
            var reader = JSONReader(bytes: bytes, maxDepth: 1)
            guard let first = bytes.first, first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39) else {
                return false
            }
            do {
                _ = try reader.scanNumber()
                return reader.index == bytes.count
            } catch {
                return false
            }
        }
        guard valid else { return nil }
        self.text = text
    }

    public init(_ value: UInt64) { self.text = String(value) }
    public init(_ value: Int) { self.text = String(value) }
    public init(_ value: Int64) { self.text = String(value) }

    /// The shortest text that reads back as `value`; nil for infinities and NaN, which JSON cannot carry.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        if value == value.rounded(.towardZero), abs(value) < 1e15 {
            self.text = String(Int64(value))
        } else {
            self.text = value.description
        }
    }

    /// True when the literal has neither a fraction nor an exponent.
    public var isInteger: Bool {
        !self.text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    }

    /// The value when the literal is a non-negative integer (no fraction, no exponent) that fits.
    public var uint64: UInt64? {
        guard self.isInteger, self.text.utf8.first != UInt8(ascii: "-") else { return nil }
        return UInt64(self.text)
    }

    /// The value when the literal is an integer (no fraction, no exponent) that fits.
    public var int64: Int64? {
        guard self.isInteger else { return nil }
        return Int64(self.text)
    }

    /// The value when the literal is an integer (no fraction, no exponent) that fits.
    public var int: Int? {
        guard self.isInteger else { return nil }
        return Int(self.text)
    }

    /// The nearest `Double`; nil when the literal is beyond `Double`'s range (`1e999`).
    public var double: Double? {
        guard let value = Double(self.text), value.isFinite else { return nil }
        return value
    }

    public var description: String { self.text }
}
