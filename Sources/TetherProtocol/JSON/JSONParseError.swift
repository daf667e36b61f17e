/// Why a byte sequence is not one valid JSON text (RFC 8259), and where: `offset` is the index of the offending
/// byte in the input (the input's length when it ended too early).
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The input ended inside a value (or was empty).
        case unexpectedEnd
        /// A byte that cannot start or continue anything here (including bytes outside strings above 0x7F, a
        /// byte-order mark, trailing commas and single quotes).
        case unexpectedByte(UInt8)
        /// A string contains bytes that are not well-formed UTF-8 (overlong forms, encoded surrogates, > U+10FFFF).
        case invalidUTF8
        /// A backslash escape other than `\" \\ \/ \b \f \n \r \t \uXXXX`.
        case invalidEscape
        /// A `\uD800`–`\uDFFF` escape that is not part of a high-low surrogate pair.
        case loneSurrogate
        /// An unescaped byte below 0x20 inside a string.
        case controlCharacter
        /// A number with a superfluous leading zero (`01`, `-00`).
        case leadingZero
        /// A number that does not follow the grammar (`-`, `1.`, `.5`, `1e`).
        case invalidNumber
        /// Arrays and objects nested deeper than the limit.
        case tooDeep(limit: Int)
        /// The input is longer than the limit (bytes).
        case tooLarge(limit: Int)
        /// Non-whitespace after the first complete value.
        case trailingData
    }

    public var kind: Kind
    public var offset: Int

    public init(_ kind: Kind, offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch self.kind {
        case .unexpectedEnd: what = "unexpected end of input"
        case .unexpectedByte(let byte): what = "unexpected byte 0x\(String(byte, radix: 16))"
        case .invalidUTF8: what = "invalid UTF-8"
        case .invalidEscape: what = "invalid escape"
        case .loneSurrogate: what = "lone surrogate escape"
        case .controlCharacter: what = "unescaped control character in string"
        case .leadingZero: what = "number with a leading zero"
        case .invalidNumber: what = "invalid number"
        case .tooDeep(let limit): what = "nesting deeper than \(limit)"
        case .tooLarge(let limit): what = "input larger than \(limit) bytes"
        case .trailingData: what = "data after the JSON value"
        }
        return "\(what) at byte \(self.offset)"
    }
}
