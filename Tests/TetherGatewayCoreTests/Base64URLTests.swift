import Testing

@testable import TetherGatewayCore

@Suite struct Base64URLTests {
    @Test func roundTripsEveryLengthAndUsesTheURLAlphabet() {
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(Base64URL.encode(Array("hello".utf8)) == "aGVsbG8")
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
            #expect(Base64URL.decode(Substring(Base64URL.encode(bytes))) == bytes)
        }
    }

    @Test(arguments: ["aGVsbG8=", "a", "aGV+", "aG/s", "a b=", "aGVsbG9", "aGVsbA9"])
    func rejectsPaddingForeignCharactersImpossibleLengthsAndNonCanonicalTails(_ text: String) {
        #expect(Base64URL.decode(Substring(text)) == nil)
    }
}
