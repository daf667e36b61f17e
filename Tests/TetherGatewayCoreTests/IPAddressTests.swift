import Testing

@testable import TetherGatewayCore

@Suite struct IPAddressTests {
    @Test func parsesDottedIPv4() throws {
        let address = try #require(IPAddress(parsing: "192.168.0.255"))
        #expect(address.bytes == [192, 168, 0, 255])
        #expect(address.isIPv4)
        #expect(address.description == "192.168.0.255")
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1..2.3", "1.2.3.4 ", "a.b.c.d", "1.2.3.-4"])
    func rejectsMalformedIPv4(_ text: String) {
        #expect(IPAddress(parsing: text) == nil)
    }

    @Test(arguments: [
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("2001:DB8::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // first of two equal runs
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // a single zero group is not compressed
        ("0:0:1:0:0:0:1:0", "0:0:1::1:0"),  // longest run wins
        ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
        ("0:0:0:0:0:ffff:102:304", "::ffff:1.2.3.4"),
        ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
    ])
    func parsesAndFormatsIPv6(_ text: String, _ canonical: String) throws {
        let address = try #require(IPAddress(parsing: text))
        #expect(address.bytes.count == 16)
        #expect(address.description == canonical)
        #expect(IPAddress(parsing: canonical) == address)
    }

    @Test(arguments: [
        ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "12345::", "fe80::1%eth0", "[::1]", ":1::2",
        "1:2:3:4:5:6:7", "::ffff:1.2.3", "::1.2.3.4:5", "g::1", "1:2:3:4:5:6:1.2.3.4:8",
    ])
    func rejectsMalformedIPv6(_ text: String) {
        #expect(IPAddress(parsing: text) == nil)
    }

    @Test func rawBytesMustBeFourOrSixteen() {
        #expect(IPAddress(bytes: [1, 2, 3, 4])?.description == "1.2.3.4")
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(IPAddress(bytes: Array(repeating: 0, count: 15)) == nil)
    }

    @Test func masksToPrefix() throws {
        let v4 = try #require(IPAddress(parsing: "192.168.173.77"))
        #expect(v4.masked(toPrefix: 24).description == "192.168.173.0")
        #expect(v4.masked(toPrefix: 20).description == "192.168.160.0")
        #expect(v4.masked(toPrefix: 0).description == "0.0.0.0")
        #expect(v4.masked(toPrefix: 32) == v4)
        #expect(v4.masked(toPrefix: 99) == v4)
        let v6 = try #require(IPAddress(parsing: "2001:db8:1234:5678:9abc::1"))
        #expect(v6.masked(toPrefix: 64).description == "2001:db8:1234:5678::")
        #expect(v6.masked(toPrefix: 33).description == "2001:db8::")
    }

    @Test func unmapsIPv4MappedAddresses() {
        #expect(IPAddress(parsing: "::ffff:10.1.2.3")?.unmappedIPv4 == IPAddress(parsing: "10.1.2.3"))
        #expect(IPAddress(parsing: "::10.1.2.3")?.unmappedIPv4 == nil)
        #expect(IPAddress(parsing: "10.1.2.3")?.unmappedIPv4 == nil)
    }
}
