import Crypto

/// The RFC 6455 opening-handshake values the gateway computes itself in session mode, where it answers the
/// client's handshake and makes its own towards the node.
public enum WebSocketHandshake {
    private static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64 of the SHA-1 of the key and the RFC's GUID.
    public static func accept(forKey key: String) -> String {
        let digest = Insecure.SHA1.hash(data: Array((key.trimmingASCIISpaces() + guid).utf8))
        return base64(Array(digest))
    }

    /// A fresh `Sec-WebSocket-Key`: 16 random bytes, base64.
    public static func makeKey<Generator: RandomNumberGenerator>(using generator: inout Generator) -> String {
        base64((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    public static func makeKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return makeKey(using: &generator)
    }

    /// Whether a client's key is acceptable: base64 of exactly 16 bytes (RFC 6455 §4.2.1).
    public static func isValidKey(_ key: String) -> Bool {
        let trimmed = key.trimmingASCIISpaces()
        guard trimmed.utf8.count == 24, trimmed.hasSuffix("==") else { return false }
        return trimmed.utf8.dropLast(2).allSatisfy { byte in
            (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) || byte == 0x2B || byte == 0x2F
        }
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static func base64(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    fileprivate func trimmingASCIISpaces() -> String {
        var view = Substring(self)
        while view.first == " " || view.first == "\t" { view = view.dropFirst() }
        while view.last == " " || view.last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
