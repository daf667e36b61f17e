import Foundation
import TetherCore
import Testing

@testable import TetherCommand

@Suite struct BenchNodeTokenTests {
    static let secret = "bench-secret-0123456789abcdef0123456789"

    @Test func theNodesVerifierAcceptsTheSignedToken() async throws {
        let verifier = try await TokenVerifier(configuration: AuthConfiguration(keys: [TokenKey(algorithm: .hs256, material: Self.secret)]))
        let token = NodeBenchToken.sign(subject: "bench-user", secret: Self.secret, expiresAt: 4_000_000_000)
        let credentials = try await verifier.verify(token, now: 1_800_000_000_000)
        #expect(credentials.user == "bench-user")
        #expect(credentials.expiresAt == 4_000_000_000_000)
    }

    @Test func aTokenSignedWithAnotherSecretIsRefused() async throws {
        let verifier = try await TokenVerifier(configuration: AuthConfiguration(keys: [TokenKey(algorithm: .hs256, material: Self.secret)]))
        let token = NodeBenchToken.sign(subject: "bench-user", secret: Self.secret + "x")
        await #expect(throws: TokenError.self) { try await verifier.verify(token, now: 1_800_000_000_000) }
    }

    @Test func headerAndPayloadAreBase64URLJSONWithoutPadding() throws {
        let token = NodeBenchToken.sign(subject: #"a"b\c"#, secret: Self.secret, expiresAt: 42)
        let parts = token.split(separator: ".")
        #expect(parts.count == 3)
        #expect(!token.contains("=") && !token.contains("+") && !token.contains("/"))
        func decode(_ part: Substring) throws -> [String: Any] {
            var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            let data = try #require(Data(base64Encoded: base64))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        let header = try decode(parts[0])
        #expect(header["alg"] as? String == "HS256")
        let payload = try decode(parts[1])
        #expect(payload["sub"] as? String == #"a"b\c"#)
        #expect(payload["exp"] as? Int == 42)
        // HMAC-SHA256 is 32 bytes: 43 base64url characters without padding.
        #expect(parts[2].count == 43)
    }
}
