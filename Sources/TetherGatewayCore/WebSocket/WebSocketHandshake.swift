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

    /// Standard base64 with padding (RFC 4648 §4): the module's URL-safe encoding with the standard
    /// alphabet's last two characters, padded to a multiple of 4.
    private static func base64(_ bytes: [UInt8]) -> String {
        var out = Base64URL.encode(bytes).utf8.map { byte -> UInt8 in
            switch byte {
            case UInt8(ascii: "-"): UInt8(ascii: "+")
            case UInt8(ascii: "_"): UInt8(ascii: "/")
            default: byte
            }
        }
        out += Array(repeating: UInt8(ascii: "="), count: (4 - out.count % 4) % 4)
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
