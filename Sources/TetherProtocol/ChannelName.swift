/// The channel-name rules (docs/protocol.md, error 115): non-empty, at most 255 bytes, only
/// `A–Z a–z 0–9 _ - . : @ / =`. The namespace is the part before the first `:`.
public enum ChannelName {
    public static let maxBytes = 255

    /// Nil when `channel` is a valid name, else error `115` saying why.
    public static func validate(_ channel: String) -> ProtocolError? {
        let utf8 = channel.utf8
        if utf8.isEmpty { return ProtocolError(.invalidChannel, "invalid channel: empty name") }
        if utf8.count > Self.maxBytes {
            return ProtocolError(.invalidChannel, "invalid channel: longer than \(Self.maxBytes) bytes")
        }
        if let bad = utf8.firstIndex(where: { !Self.isAllowed($0) }) {
            let position = utf8.distance(from: utf8.startIndex, to: bad)
            return ProtocolError(.invalidChannel, "invalid channel: character not allowed at byte \(position)")
        }
        return nil
    }

    public static func isValid(_ channel: String) -> Bool {
        Self.validate(channel) == nil
    }

    /// The part of `channel` before the first `:`, or "" when it has none (the default namespace).
    public static func namespace(of channel: String) -> String {
        guard let colon = channel.utf8.firstIndex(of: UInt8(ascii: ":")) else { return "" }
        return String(channel[..<colon])
    }

    @inline(__always)
    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "@"),
            UInt8(ascii: "/"), UInt8(ascii: "="):
            true
        default:
            false
        }
    }
}
