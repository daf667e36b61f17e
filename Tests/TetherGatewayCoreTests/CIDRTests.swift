import Testing

@testable import TetherGatewayCore

@Suite struct CIDRTests {
    @Test func containsAddressesOfItsNetworkOnly() throws {
        let network = try #require(CIDR(parsing: "10.20.0.0/14"))
        #expect(network.contains(try #require(IPAddress(parsing: "10.23.255.255"))))
        #expect(!network.contains(try #require(IPAddress(parsing: "10.24.0.0"))))
        #expect(network.contains(try #require(IPAddress(parsing: "::ffff:10.21.0.1"))))
        #expect(!network.contains(try #require(IPAddress(parsing: "::1"))))
    }

    @Test func ipv6Networks() throws {
        let network = try #require(CIDR(parsing: "2001:db8::/32"))
        #expect(network.contains(try #require(IPAddress(parsing: "2001:db8:ffff::1"))))
        #expect(!network.contains(try #require(IPAddress(parsing: "2001:db9::1"))))
        #expect(!network.contains(try #require(IPAddress(parsing: "32.1.13.184"))))
    }

    @Test func bareAddressIsOneHostAndNetworkIsNormalised() throws {
        let host = try #require(CIDR(parsing: "127.0.0.1"))
        #expect(host.prefixLength == 32)
        #expect(!host.contains(try #require(IPAddress(parsing: "127.0.0.2"))))
        #expect(CIDR(parsing: "192.168.1.77/24")?.description == "192.168.1.0/24")
        #expect(CIDR(parsing: "0.0.0.0/0")?.contains(try #require(IPAddress(parsing: "8.8.8.8"))) == true)
    }

    @Test(arguments: ["10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/", "10.0.0/8", "garbage", "10.0.0.0/8/1"])
    func rejectsMalformed(_ text: String) {
        #expect(CIDR(parsing: text) == nil)
    }
}
