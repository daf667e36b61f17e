import Testing

@testable import TetherGatewayCore

@Suite struct StickyCookieCodecTests {
    private let configuration = StickyCookieConfiguration(
        name: "tether_sticky", secret: "0123456789abcdef0123456789abcdef", epoch: 3, maxAge: .seconds(3600))
    private var codec: StickyCookieCodec { StickyCookieCodec(configuration: configuration) }

    @Test func roundTripsAndIsCookieSafe() {
        for id in ["10.0.0.1:8080", "[2001:db8::1]:443", "nødé-ü:1", ""] {
            let value = codec.encode(endpointID: id, now: 1_700_000_000)
            #expect(codec.decode(value, now: 1_700_000_000) == id)
            #expect(codec.decode(value, now: 1_700_003_600) == id)
            #expect(value.allSatisfy { $0.isLetter && $0.isASCII || $0.isNumber || "-_.".contains($0) })
        }
    }

    @Test func tamperedValuesAreRejected() {
        let value = codec.encode(endpointID: "10.0.0.1:8080", now: 100)
        let characters = Array(value)
        for index in characters.indices where characters[index] != "." {
            var changed = characters
            changed[index] = changed[index] == "A" ? "B" : "A"
            #expect(codec.decode(String(changed), now: 100) == nil, "flipped at \(index)")
        }
        // The same payload under another secret, and a value signed for another endpoint spliced in.
        let other = StickyCookieCodec(configuration: .init(secret: String(repeating: "x", count: 32), epoch: 3))
        #expect(codec.decode(other.encode(endpointID: "10.0.0.1:8080", now: 100), now: 100) == nil)
        let spliced = value.split(separator: ".")[0] + "." + codec.encode(endpointID: "x", now: 100).split(separator: ".")[1]
        #expect(codec.decode(String(spliced), now: 100) == nil)
    }

    @Test func staleFutureAndOtherEpochCookiesAreRejected() {
        let value = codec.encode(endpointID: "a:1", now: 10_000)
        #expect(codec.decode(value, now: 10_000 + 3601) == nil)
        #expect(codec.decode(value, now: 10_000 - 301) == nil)
        #expect(codec.decode(value, now: 10_000 - 299) == "a:1")
        var bumped = configuration
        bumped.epoch = 4
        #expect(StickyCookieCodec(configuration: bumped).decode(value, now: 10_000) == nil)
    }

    @Test(arguments: [
        "", ".", "..", "a.b", "!!!.???", "AAAA.AAAA", String(repeating: "A", count: 5000) + ".A", "tether_sticky=abc",
        "\u{0}\u{FFFF}.\u{1F600}",
    ])
    func garbageIsRejectedWithoutTrapping(_ value: String) {
        #expect(codec.decode(value, now: 0) == nil)
        #expect(codec.decode(value, now: .nan) == nil)
    }

    @Test func setCookieHeaderCarriesTheAttributes() {
        #expect(codec.setCookieHeader(value: "v", secure: false) == "tether_sticky=v; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax")
        #expect(codec.setCookieHeader(value: "v", secure: true).hasSuffix("; SameSite=Lax; Secure"))
    }
}
