import NIOCore
import Testing

@testable import TetherGatewayCore

@Suite struct ProxyProtocolParserTests {
    private static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    private func parse(_ bytes: [UInt8]) -> ProxyProtocolParseResult {
        ProxyProtocolParser.parse(ByteBuffer(bytes: bytes))
    }

    private func parse(_ text: String) -> ProxyProtocolParseResult { parse(Array(text.utf8)) }

    private func header(_ result: ProxyProtocolParseResult) -> ProxyHeader? {
        if case .header(let header) = result { return header }
        return nil
    }

    private func isInvalid(_ result: ProxyProtocolParseResult) -> Bool {
        if case .invalid = result { return true }
        return false
    }

    @Test func v1TCP4FollowedByApplicationData() throws {
        let line = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"
        let parsed = try #require(header(parse(line + "GET / HTTP/1.1\r\n")))
        #expect(parsed == ProxyHeader(
            version: 1, source: IPAddress(parsing: "192.168.0.1"), sourcePort: 56324,
            destination: IPAddress(parsing: "192.168.0.11"), destinationPort: 443, consumedBytes: line.utf8.count))
    }

    @Test func v1TCP6AndUnknown() throws {
        let v6 = try #require(header(parse("PROXY TCP6 2001:db8::1 ::1 0 65535\r\n")))
        #expect(v6.source?.description == "2001:db8::1" && v6.sourcePort == 0 && v6.destinationPort == 65535)
        let short = try #require(header(parse("PROXY UNKNOWN\r\n")))
        #expect(short.source == nil && short.consumedBytes == 15)
        let worst = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n"
        #expect(worst.utf8.count == 107)
        #expect(header(parse(worst))?.consumedBytes == 107)
    }

    @Test func v1NeedsMoreDataUntilTheCRLF() {
        for partial in ["P", "PROX", "PROXY ", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"] {
            #expect(parse(partial) == .needMoreData, "\(partial)")
        }
        #expect(parse([]) == .needMoreData)
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\n",
        "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 0443 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",
        "PROXY TCP4 ::1 ::1 1 2\r\n",
        "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
        "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
        "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
        "PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n",
    ])
    func v1MalformedLinesAreInvalid(_ line: String) {
        #expect(isInvalid(parse(line)))
    }

    @Test func v1LineWithoutCRLFInTheFirst107BytesIsInvalid() {
        #expect(isInvalid(parse("PROXY UNKNOWN " + String(repeating: "a", count: 100))))
    }

    /// A header captured from HAProxy: TCP over IPv4, 172.19.0.1:42578 → 172.19.0.3:80, then `GET `.
    @Test func v2GoldenTCP4FromHAProxy() throws {
        let bytes = Self.signature + [0x21, 0x11, 0x00, 0x0C, 0xAC, 0x13, 0x00, 0x01, 0xAC, 0x13, 0x00, 0x03, 0xA6, 0x52, 0x00, 0x50]
            + Array("GET ".utf8)
        let parsed = try #require(header(parse(bytes)))
        #expect(parsed == ProxyHeader(
            version: 2, source: IPAddress(parsing: "172.19.0.1"), sourcePort: 42578,
            destination: IPAddress(parsing: "172.19.0.3"), destinationPort: 80, consumedBytes: 28))
        for cut in [1, 11, 12, 15, 16, 27] { #expect(parse(Array(bytes.prefix(cut))) == .needMoreData, "cut \(cut)") }
    }

    @Test func v2TCP6SkipsTLVs() throws {
        let source = IPAddress(parsing: "2001:db8::1")!.bytes
        let destination = IPAddress(parsing: "2001:db8::2")!.bytes
        let tlv: [UInt8] = [0x04, 0x00, 0x03, 0xAA, 0xBB, 0xCC]  // PP2_TYPE_NOOP, 3 bytes
        let body = source + destination + [0x1F, 0x90, 0x01, 0xBB] + tlv
        let bytes = Self.signature + [0x21, 0x21, 0x00, UInt8(body.count)] + body + [0x99]
        let parsed = try #require(header(parse(bytes)))
        #expect(parsed.source?.description == "2001:db8::1" && parsed.sourcePort == 8080)
        #expect(parsed.destination?.description == "2001:db8::2" && parsed.destinationPort == 443)
        #expect(parsed.consumedBytes == 16 + 36 + 6)
    }

    @Test func v2LocalAndUnsupportedFamiliesUseTheConnectionAddresses() throws {
        let local = try #require(header(parse(Self.signature + [0x20, 0x00, 0x00, 0x00])))
        #expect(local == ProxyHeader(version: 2, consumedBytes: 16))
        let localWithBlock = Self.signature + [0x20, 0x11, 0x00, 0x0C] + [UInt8](repeating: 1, count: 12)
        #expect(header(parse(localWithBlock)) == ProxyHeader(version: 2, consumedBytes: 28))
        let udp = Self.signature + [0x21, 0x12, 0x00, 0x0C] + [UInt8](repeating: 1, count: 12)
        #expect(header(parse(udp))?.source == nil)
        let unix = Self.signature + [0x21, 0x31, 0x00, 0xD8] + [UInt8](repeating: 0, count: 216)
        #expect(header(parse(unix)) == ProxyHeader(version: 2, consumedBytes: 232))
    }

    @Test(arguments: [
        [UInt8]([0x11, 0x11, 0x00, 0x0C]),  // version 1 in a v2 header
        [0x22, 0x11, 0x00, 0x0C],  // command 2
        [0x21, 0x41, 0x00, 0x0C],  // family 4
        [0x21, 0x13, 0x00, 0x0C],  // transport 3
        [0x21, 0x11, 0x00, 0x08],  // IPv4 block shorter than 12
        [0x21, 0x11, 0x10, 0x01],  // length 4097, over the bound
    ])
    func v2MalformedHeadersAreInvalid(_ fixedTail: [UInt8]) {
        let length = Int(fixedTail[2]) << 8 | Int(fixedTail[3])
        let bytes = Self.signature + fixedTail + [UInt8](repeating: 0, count: min(length, 16))
        #expect(isInvalid(parse(bytes)))
    }
}
