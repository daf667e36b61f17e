/// SHA-1, only to name Lua scripts the way Redis does (`EVALSHA` takes the hex SHA-1 of the source). Not for
/// anything security-relevant.
enum RedisSHA1 {
    /// The 20-byte digest of `message`.
    static func digest<Bytes: Sequence<UInt8>>(_ message: Bytes) -> [UInt8] {
        var state: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
        var block: [UInt8] = []
        block.reserveCapacity(64)
        var length: UInt64 = 0
        for byte in message {
            block.append(byte)
            length &+= 1
            if block.count == 64 {
                compress(&state, block)
                block.removeAll(keepingCapacity: true)
            }
        }
        block.append(0x80)
        if block.count > 56 {
            while block.count < 64 { block.append(0) }
            compress(&state, block)
            block.removeAll(keepingCapacity: true)
        }
        while block.count < 56 { block.append(0) }
        let bits = length &* 8
        for shift in stride(from: 56, through: 0, by: -8) {
            block.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
        }
        compress(&state, block)
        var out: [UInt8] = []
        out.reserveCapacity(20)
        for word in state {
            out += [UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)]
        }
        return out
    }

    /// Lower-case hex of the digest, as Redis prints it.
    static func hex<Bytes: Sequence<UInt8>>(_ message: Bytes) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(40)
        for byte in digest(message) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return text
    }

    private static func compress(_ state: inout [UInt32], _ block: [UInt8]) {
        var w = [UInt32](repeating: 0, count: 80)
        for i in 0..<16 {
            w[i] = UInt32(block[i * 4]) << 24 | UInt32(block[i * 4 + 1]) << 16 | UInt32(block[i * 4 + 2]) << 8 | UInt32(block[i * 4 + 3])
        }
        for i in 16..<80 {
            let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
            w[i] = (x << 1) | (x >> 31)
        }
        var a = state[0], b = state[1], c = state[2], d = state[3], e = state[4]
        for i in 0..<80 {
            let f: UInt32
            let k: UInt32
            if i < 20 {
                f = (b & c) | (~b & d); k = 0x5A82_7999
            } else if i < 40 {
                f = b ^ c ^ d; k = 0x6ED9_EBA1
            } else if i < 60 {
                f = (b & c) | (b & d) | (c & d); k = 0x8F1B_BCDC
            } else {
                f = b ^ c ^ d; k = 0xCA62_C1D6
            }
            let temp = ((a << 5) | (a >> 27)) &+ f &+ e &+ k &+ w[i]
            e = d
            d = c
            c = (b << 30) | (b >> 2)
            b = a
            a = temp
        }
        state[0] &+= a; state[1] &+= b; state[2] &+= c; state[3] &+= d; state[4] &+= e
    }
}
