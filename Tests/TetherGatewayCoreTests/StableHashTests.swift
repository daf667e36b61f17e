import Testing

@testable import TetherGatewayCore

@Suite struct StableHashTests {
    /// Reference values of XXH64 (seed 0 unless given); the inputs exercise the 32-byte stripes and the 8-, 4-
    /// and 1-byte tails.
    @Test(arguments: [
        ("", UInt64(0xEF46_DB37_51D8_E999)),
        ("a", 0xD24E_C4F1_A98C_6E5B),
        ("abc", 0x44BC_2CF5_AD77_0999),
        ("hello world", 0x45AB_6734_B21E_6968),
        ("0123456789abcdef0123456789abcdef!", 0x8AFF_F4DA_AC4E_677E),
        ("0123456789abcdef0123456789abcdef01234567abcdX", 0x8185_353A_DB24_7D09),
    ])
    func matchesReferenceValues(_ input: String, _ expected: UInt64) {
        #expect(StableHash.xxh64(input) == expected)
        #expect(StableHash.xxh64(Array(input.utf8)) == expected)
    }

    @Test func seedChangesTheHash() {
        #expect(StableHash.xxh64("abc", seed: 42) == 0x13C1_D910_7027_70E6)
    }
}
