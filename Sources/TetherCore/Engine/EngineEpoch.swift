/// Makes channel epochs for every engine: 8 random base62 characters (about 2^47 values), so a channel
/// that lost its metadata starts an epoch no client can mistake for the old one.
public enum EngineEpoch {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    public static func make() -> String {
        var random = UInt64.random(in: 0...UInt64.max)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8)
        for _ in 0..<8 {
            bytes.append(self.alphabet[Int(random % 62)])
            random /= 62
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
