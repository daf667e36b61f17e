/// The one string escaping used everywhere in this module, so every encoder and the canonicalising parser
/// produce identical text for equal strings: `\"`, `\\`, `\b \f \n \r \t`, other bytes below 0x20 as `\u00xx`
/// (lowercase hex), everything else (including `/`, DEL and non-ASCII) as is. This is also what JavaScript's
/// `JSON.stringify` writes for well-formed strings.
enum JSONEscaping {
    @inline(__always)
    static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x22 || byte == 0x5C
    }

    static func needsEscape(_ string: String) -> Bool {
        string.utf8.contains(where: Self.needsEscape)
    }

    /// Appends the escaped form of `bytes` (without quotes).
    static func appendEscaped(_ bytes: some Sequence<UInt8>, into output: inout [UInt8]) {
        for byte in bytes {
            switch byte {
            case 0x22: output.append(0x5C); output.append(0x22)
            case 0x5C: output.append(0x5C); output.append(0x5C)
            case 0x08: output.append(0x5C); output.append(UInt8(ascii: "b"))
            case 0x0C: output.append(0x5C); output.append(UInt8(ascii: "f"))
            case 0x0A: output.append(0x5C); output.append(UInt8(ascii: "n"))
            case 0x0D: output.append(0x5C); output.append(UInt8(ascii: "r"))
            case 0x09: output.append(0x5C); output.append(UInt8(ascii: "t"))
            case 0..<0x20:
                output.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30])
                output.append(Self.hexDigit(byte >> 4))
                output.append(Self.hexDigit(byte & 0x0F))
            default: output.append(byte)
            }
        }
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
