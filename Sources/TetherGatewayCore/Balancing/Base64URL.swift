/// Base64 with the URL- and cookie-safe alphabet (RFC 4648 section 5), without padding.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var word: UInt32 = 0
            for (position, byte) in chunk.enumerated() { word |= UInt32(byte) << (16 - 8 * position) }
            for position in 0...chunk.count { out.append(alphabet[Int((word >> (18 - 6 * position)) & 0x3F)]) }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Nil for any character outside the alphabet, padding, an impossible length or non-zero trailing bits.
    static func decode(_ text: Substring) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 3 / 4)
        var index = 0
        while index < input.count {
            let chunk = input[index..<min(index + 4, input.count)]
            var word: UInt32 = 0
            for (position, character) in chunk.enumerated() {
                guard let value = sextet(character) else { return nil }
                word |= value << (18 - 6 * position)
            }
            // Canonical form only: bits past the last whole byte must be zero, so each value has one encoding.
            guard word & ((1 << (24 - 8 * (chunk.count - 1))) - 1) == 0 else { return nil }
            for position in 0..<(chunk.count - 1) { out.append(UInt8((word >> (16 - 8 * position)) & 0xFF)) }
            index += 4
        }
        return out
    }

    private static func sextet(_ character: UInt8) -> UInt32? {
        switch character {
        case 0x41...0x5A: UInt32(character - 0x41)
        case 0x61...0x7A: UInt32(character - 0x61 + 26)
        case 0x30...0x39: UInt32(character - 0x30 + 52)
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }
}
