import Testing

@testable import TetherGatewayCore

@Suite struct ClientIPResolverTests {
    private let resolver = ClientIPResolver(trustedProxies: ["10.0.0.0/8", "2001:db8:ffff::/48"].compactMap(CIDR.init(parsing:)))
    private func ip(_ text: String) -> IPAddress { IPAddress(parsing: text)! }

    private func resolve(_ peer: String, xff: [String] = [], forwarded: [String] = []) -> String {
        resolver.resolve(peer: ip(peer), forwardedFor: xff, forwarded: forwarded).description
    }

    @Test func headersFromAnUntrustedPeerAreIgnored() {
        #expect(resolve("198.51.100.7", xff: ["1.1.1.1"], forwarded: ["for=2.2.2.2"]) == "198.51.100.7")
    }

    @Test func xForwardedForIsWalkedRightToLeftPastTrustedHops() {
        #expect(resolve("10.0.0.1", xff: ["1.1.1.1"]) == "1.1.1.1")
        #expect(resolve("10.0.0.1", xff: ["6.6.6.6, 2.2.2.2, 10.0.0.3"]) == "2.2.2.2")
        #expect(resolve("10.0.0.1", xff: ["6.6.6.6", "2.2.2.2,10.9.9.9"]) == "2.2.2.2")
        #expect(resolve("10.0.0.1", xff: ["10.1.1.1, 10.2.2.2"]) == "10.1.1.1")
        #expect(resolve("10.0.0.1", xff: ["[2001:db8::5]:443", "3.3.3.3:1234"]) == "3.3.3.3")
        #expect(resolve("10.0.0.1") == "10.0.0.1")
    }

    @Test func forwardedIsPreferredAndParsedPerRFC7239() {
        #expect(resolve("10.0.0.1", xff: ["4.4.4.4"], forwarded: ["for=3.3.3.3"]) == "3.3.3.3")
        #expect(resolve("10.0.0.1", forwarded: ["For=\"[2001:db8:cafe::17]:4711\""]) == "2001:db8:cafe::17")
        #expect(resolve("10.0.0.1", forwarded: ["for=192.0.2.60;proto=http;by=203.0.113.43, for=10.4.4.4"]) == "192.0.2.60")
        #expect(resolve("10.0.0.1", forwarded: ["proto=https;for=\"5.5.5.5:80\";ext=\"a,b;c=\\\"d\""]) == "5.5.5.5")
        #expect(resolve("10.0.0.1", forwarded: ["by=1.1.1.1"]) == "10.0.0.1")
        #expect(resolve("2001:db8:ffff::1", forwarded: ["for=\"[2001:db8:ffff::9]\", for=\"[2001:db8::77]\""]) == "2001:db8::77")
    }

    @Test func unknownAndObfuscatedHopsAreNeverTheClient() {
        // The trusted proxy did not know its client: what lies beyond is client-written and cannot be believed.
        #expect(resolve("10.0.0.1", forwarded: ["for=6.6.6.6, for=unknown"]) == "10.0.0.1")
        #expect(resolve("10.0.0.1", forwarded: ["for=6.6.6.6, for=_hidden, for=10.7.7.7"]) == "10.7.7.7")
        #expect(resolve("10.0.0.1", xff: ["6.6.6.6, garbage"]) == "10.0.0.1")
    }

    @Test func mappedAddressesAreTrustedAndReturnedAsIPv4() {
        #expect(resolve("::ffff:10.0.0.1", xff: ["::ffff:7.7.7.7"]) == "7.7.7.7")
        #expect(resolve("::ffff:198.51.100.1") == "198.51.100.1")
    }
}
