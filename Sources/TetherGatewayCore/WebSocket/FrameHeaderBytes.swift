/// The bytes of one WebSocket frame header (at most 14), stored inline so a scanner allocates nothing per
/// connection: an idle relayed connection should cost as little memory as possible.
struct FrameHeaderBytes: Sendable, Equatable {
    private var low: UInt64 = 0
    private var high: UInt64 = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    subscript(index: Int) -> UInt8 {
        precondition(index < count)
        return index < 8 ? UInt8(truncatingIfNeeded: low >> (index * 8)) : UInt8(truncatingIfNeeded: high >> ((index - 8) * 8))
    }

    mutating func append(_ byte: UInt8) {
        precondition(count < 14, "a WebSocket frame header is at most 14 bytes")
        if count < 8 {
            low |= UInt64(byte) << (count * 8)
        } else {
            high |= UInt64(byte) << ((count - 8) * 8)
        }
        count += 1
    }

    mutating func removeAll() {
        self = FrameHeaderBytes()
    }

    /// The payload length once the header is complete, else nil.
    var payloadLength: UInt64? {
        guard count >= 2 else { return nil }
        let masked = self[1] & 0x80 != 0
        let short = self[1] & 0x7F
        let extended = short == 126 ? 2 : short == 127 ? 8 : 0
        guard count == 2 + extended + (masked ? 4 : 0) else { return nil }
        if extended == 0 { return UInt64(short) }
        var length: UInt64 = 0
        for index in 2..<(2 + extended) {
            length = length << 8 | UInt64(self[index])
        }
        return length
    }

    var isMasked: Bool { count >= 2 && self[1] & 0x80 != 0 }

    /// The masking key: the last four bytes of a complete masked header.
    var maskKey: (UInt8, UInt8, UInt8, UInt8) {
        (self[count - 4], self[count - 3], self[count - 2], self[count - 1])
    }
}
