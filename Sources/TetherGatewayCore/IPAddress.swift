/// An IPv4 (4 bytes) or IPv6 (16 bytes) address, stored in network byte order.
///
/// Parsing is strict: dotted IPv4 with no leading zeros (`010.0.0.1` is rejected, as octal-looking input is
/// ambiguous), and every IPv6 text form of RFC 4291 (`::`, `::1`, `2001:db8::1`, `::ffff:1.2.3.4`) without a zone
/// id (`fe80::1%eth0` is rejected) and without brackets. `description` is canonical: dotted IPv4, RFC 5952 IPv6
/// (lower case, longest zero run compressed, IPv4-mapped addresses as `::ffff:a.b.c.d`).
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    /// Wraps raw bytes; nil unless there are exactly 4 or 16.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses IPv4 dotted-quad or IPv6 text. Returns nil for anything else.
    public init?(parsing text: String) {
        let utf8 = Array(text.utf8)
        if utf8.contains(UInt8(ascii: ":")) {
            guard let bytes = Self.parseIPv6(utf8[...]) else { return nil }
            self.bytes = bytes
        } else {
            guard let bytes = Self.parseIPv4(utf8[...]) else { return nil }
            self.bytes = bytes
        }
    }

    public var isIPv4: Bool { bytes.count == 4 }

    /// The address with every bit after the first `prefix` cleared (`prefix` is clamped to 0...bit count).
    public func masked(toPrefix prefix: Int) -> IPAddress {
        let bits = max(0, min(prefix, bytes.count * 8))
        var out = bytes
        for index in out.indices {
            let keep = max(0, min(8, bits - index * 8))
            out[index] &= keep == 8 ? 0xFF : ~(UInt8(0xFF) >> keep)
        }
        return IPAddress(uncheckedBytes: out)
    }

    /// The embedded IPv4 address of an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else nil.
    public var unmappedIPv4: IPAddress? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else {
            return nil
        }
        return IPAddress(uncheckedBytes: Array(bytes[12..<16]))
    }

    public var description: String {
        if isIPv4 { return bytes.map { String($0) }.joined(separator: ".") }
        if let v4 = unmappedIPv4 { return "::ffff:\(v4)" }
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        // RFC 5952 4.2: compress the longest run (the first on a tie) of two or more zero groups.
        var best = (start: -1, length: 0)
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            var end = index
            while end < 8, groups[end] == 0 { end += 1 }
            if end - index > best.length { best = (index, end - index) }
            index = end
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return hex.joined(separator: ":") }
        let head = hex[..<best.start].joined(separator: ":")
        let tail = hex[(best.start + best.length)...].joined(separator: ":")
        return "\(head)::\(tail)"
    }

    init(uncheckedBytes: [UInt8]) {
        self.bytes = uncheckedBytes
    }

    private static func parseIPv4(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        let parts = text.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(4)
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            guard part.count == 1 || part.first != UInt8(ascii: "0") else { return nil }
            let value = part.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            guard value <= 255 else { return nil }
            out.append(UInt8(value))
        }
        return out
    }

    private static func parseIPv6(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        let colon = UInt8(ascii: ":")
        // Split at the one allowed "::" into the groups before it and after it.
        var head = text
        var tail: ArraySlice<UInt8>? = nil
        var index = text.startIndex
        while index + 1 < text.endIndex {
            if text[index] == colon, text[index + 1] == colon {
                guard tail == nil else { return nil }
                head = text[text.startIndex..<index]
                tail = text[(index + 2)...]
                index += 2
                continue
            }
            index += 1
        }
        guard var before = parseGroups(head, allowIPv4Tail: tail == nil) else { return nil }
        guard let tail else { return before.count == 16 ? before : nil }
        guard let after = parseGroups(tail, allowIPv4Tail: true), before.count + after.count <= 14 else { return nil }
        before += [UInt8](repeating: 0, count: 16 - before.count - after.count)
        return before + after
    }

    /// Parses colon-separated hex groups (an empty slice is no groups); the last may be dotted IPv4.
    private static func parseGroups(_ text: ArraySlice<UInt8>, allowIPv4Tail: Bool) -> [UInt8]? {
        if text.isEmpty { return [] }
        let parts = text.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        var out: [UInt8] = []
        for (position, part) in parts.enumerated() {
            if position == parts.count - 1, allowIPv4Tail, part.contains(UInt8(ascii: ".")) {
                guard let v4 = parseIPv4(part) else { return nil }
                out += v4
                continue
            }
            guard (1...4).contains(part.count) else { return nil }
            var value: UInt16 = 0
            for byte in part {
                guard let digit = hexValue(byte) else { return nil }
                value = value << 4 | UInt16(digit)
            }
            out += [UInt8(value >> 8), UInt8(value & 0xFF)]
        }
        return out.count <= 16 ? out : nil
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
