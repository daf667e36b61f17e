import NIOCore

/// Parses a PROXY protocol header (HAProxy's spec, versions 1 and 2) from the start of a connection's bytes.
///
/// Stateless and pure: call it with everything received so far (the reader index is not moved) until it stops
/// answering ``ProxyProtocolParseResult/needMoreData``. A listener configured for PROXY protocol requires the
/// header, so anything else is ``ProxyProtocolParseResult/invalid(_:)``.
///
/// - v1: `PROXY TCP4|TCP6 src dst sport dport\r\n` or `PROXY UNKNOWN…\r\n`, at most 107 bytes, single spaces,
///   no leading zeros in IPv4 numbers or ports, address family matching the protocol.
/// - v2: 12-byte signature, version 2, command LOCAL or PROXY, then `length` bytes of addresses and TLVs
///   (TLVs are skipped). TCP over IPv4/IPv6 yields addresses; other valid families and transports fall back
///   to the connection's own addresses, as the spec allows. `length` above ``maxV2PayloadLength`` is refused.
public enum ProxyProtocolParser {
    public static let maxV1Length = 107
    /// Bound on the v2 address + TLV block. Real headers are well under it (addresses ≤ 216 bytes, a few TLVs).
    public static let maxV2PayloadLength = 4096

    static let v1Prefix = Array("PROXY ".utf8)
    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    public static func parse(_ bytes: ByteBuffer) -> ProxyProtocolParseResult {
        let available = bytes.readableBytes
        let peek = bytes.getBytes(at: bytes.readerIndex, length: min(available, maxV1Length)) ?? []
        if startsLike(peek, v2Signature) {
            return peek.count < 16 ? .needMoreData : parseV2(bytes)
        }
        if startsLike(peek, v1Prefix) {
            return peek.count < v1Prefix.count ? .needMoreData : parseV1(peek)
        }
        return .invalid("no PROXY protocol signature")
    }

    /// True when `bytes` and `signature` agree on their common length (so also for no bytes yet).
    private static func startsLike(_ bytes: [UInt8], _ signature: [UInt8]) -> Bool {
        zip(bytes, signature).allSatisfy { $0 == $1 }
    }

    private static func parseV1(_ peek: [UInt8]) -> ProxyProtocolParseResult {
        guard let newline = peek.firstIndex(of: 0x0A) else {
            return peek.count >= maxV1Length ? .invalid("v1 line longer than 107 bytes") : .needMoreData
        }
        guard newline > 0, peek[newline - 1] == 0x0D else { return .invalid("v1 line not ended by CRLF") }
        let line = peek[..<(newline - 1)]
        guard line.allSatisfy({ (0x20...0x7E).contains($0) }) else { return .invalid("v1 line has control bytes") }
        let fields = String(decoding: line, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false)
        let consumed = newline + 1
        if fields.count >= 2, fields[1] == "UNKNOWN" {
            return .header(ProxyHeader(version: 1, consumedBytes: consumed))
        }
        guard fields.count == 6, fields[1] == "TCP4" || fields[1] == "TCP6" else {
            return .invalid("v1 expects TCP4, TCP6 or UNKNOWN and four fields")
        }
        let wantsIPv4 = fields[1] == "TCP4"
        guard let source = address(fields[2], ipv4: wantsIPv4), let destination = address(fields[3], ipv4: wantsIPv4)
        else { return .invalid("v1 address does not match \(fields[1])") }
        guard let sourcePort = port(fields[4]), let destinationPort = port(fields[5]) else {
            return .invalid("v1 port is not a decimal in 0...65535 without leading zeros")
        }
        return .header(
            ProxyHeader(
                version: 1, source: source, sourcePort: sourcePort, destination: destination,
                destinationPort: destinationPort, consumedBytes: consumed))
    }

    private static func address(_ text: Substring, ipv4: Bool) -> IPAddress? {
        guard ipv4 != text.contains(":"), let address = IPAddress(parsing: String(text)) else { return nil }
        return address.isIPv4 == ipv4 ? address : nil
    }

    private static func port(_ text: Substring) -> Int? {
        guard (1...5).contains(text.count), text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber),
            text.count == 1 || text.first != "0", let value = Int(text), value <= 65535
        else { return nil }
        return value
    }

    private static func parseV2(_ bytes: ByteBuffer) -> ProxyProtocolParseResult {
        guard let fixed = bytes.getBytes(at: bytes.readerIndex, length: 16) else { return .needMoreData }
        guard fixed[12] >> 4 == 2 else { return .invalid("v2 version is not 2") }
        let command = fixed[12] & 0x0F
        let family = fixed[13] >> 4
        let transport = fixed[13] & 0x0F
        guard command <= 1 else { return .invalid("v2 command is neither LOCAL nor PROXY") }
        guard family <= 3, transport <= 2 else { return .invalid("v2 family or transport is unassigned") }
        let length = Int(fixed[14]) << 8 | Int(fixed[15])
        guard length <= maxV2PayloadLength else { return .invalid("v2 length \(length) over the limit") }
        guard let payload = bytes.getBytes(at: bytes.readerIndex + 16, length: length) else { return .needMoreData }
        let consumed = 16 + length
        // LOCAL, or anything but TCP over IPv4/IPv6: the connection's own addresses apply.
        guard command == 1, transport == 1, family == 1 || family == 2 else {
            return .header(ProxyHeader(version: 2, consumedBytes: consumed))
        }
        let size = family == 1 ? 4 : 16
        guard length >= 2 * size + 4 else { return .invalid("v2 address block shorter than its family needs") }
        let ports = 2 * size
        return .header(
            ProxyHeader(
                version: 2,
                source: IPAddress(uncheckedBytes: Array(payload[0..<size])),
                sourcePort: Int(payload[ports]) << 8 | Int(payload[ports + 1]),
                destination: IPAddress(uncheckedBytes: Array(payload[size..<ports])),
                destinationPort: Int(payload[ports + 2]) << 8 | Int(payload[ports + 3]),
                consumedBytes: consumed))
    }
}
