import JWTKit
import Testing
import TetherCore

/// Token verification: accepted algorithms only, claims enforced, keys validated.
@Suite("Token verifier")
struct TokenVerifierTests {
    static let secret = "token-verifier-test-secret-0123456789"
    static let now: Int64 = 1_800_000_000_000

    struct Claims: JWTPayload {
        var sub: String?
        var exp: Int64?
        var nbf: Int64?
        var channels: [String]?
        var info: [String: String]?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    private func hs256(_ claims: Claims, secret: String = secret, kid: String? = nil) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: kid.map { JWKIdentifier(string: $0) })
        return try await keys.sign(claims, kid: kid.map { JWKIdentifier(string: $0) })
    }

    private func verifier(_ keys: [TokenKey]) async throws -> TokenVerifier {
        try await TokenVerifier(configuration: AuthConfiguration(keys: keys, leeway: .zero))
    }

    @Test("a valid HS256 token gives the user, expiry, channels and info")
    func validHS256() async throws {
        let verifier = try await self.verifier([TokenKey(algorithm: .hs256, material: Self.secret)])
        let token = try await self.hs256(Claims(sub: "alice", exp: Self.now / 1000 + 60, channels: ["chat:*"], info: ["name": "Alice"]))
        let credentials = try await verifier.verify(token, now: Self.now)
        #expect(credentials.user == "alice")
        #expect(credentials.expiresAt == Self.now + 60_000)
        #expect(credentials.grants("chat:room"))
        #expect(!credentials.grants("admin:room"))
        #expect(credentials.info?.text == #"{"name":"Alice"}"#)
    }

    @Test("exp, nbf and sub are enforced")
    func claimsEnforced() async throws {
        let verifier = try await self.verifier([TokenKey(algorithm: .hs256, material: Self.secret)])
        let expired = try await self.hs256(Claims(sub: "alice", exp: Self.now / 1000 - 1))
        await #expect(throws: TokenError.expired) { try await verifier.verify(expired, now: Self.now) }
        let early = try await self.hs256(Claims(sub: "alice", nbf: Self.now / 1000 + 30))
        await #expect(throws: TokenError.self) { try await verifier.verify(early, now: Self.now) }
        let anonymous = try await self.hs256(Claims(sub: nil))
        await #expect(throws: TokenError.self) { try await verifier.verify(anonymous, now: Self.now) }
        let wrongSecret = try await self.hs256(Claims(sub: "alice"), secret: "another-secret-another-secret-0123456")
        await #expect(throws: TokenError.self) { try await verifier.verify(wrongSecret, now: Self.now) }
    }

    @Test("alg none and algorithm confusion are refused before any signature check")
    func algorithmAttacks() async throws {
        let verifier = try await self.verifier([TokenKey(algorithm: .rs256, material: TestKeys.rsaPublic)])
        // alg none, empty signature.
        let none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSJ9."
        await #expect(throws: TokenError.invalid("algorithm or key id not accepted")) { try await verifier.verify(none, now: Self.now) }
        // HS256 "signed" with the RSA public key as the HMAC secret: the classic confusion attack.
        let confused = try await self.hs256(Claims(sub: "alice"), secret: TestKeys.rsaPublic)
        await #expect(throws: TokenError.invalid("algorithm or key id not accepted")) { try await verifier.verify(confused, now: Self.now) }
        // The genuine RS256 token passes.
        let keys = JWTKeyCollection()
        await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: TestKeys.rsaPrivate), digestAlgorithm: .sha256)
        let genuine = try await keys.sign(Claims(sub: "alice"))
        #expect(try await verifier.verify(genuine, now: Self.now).user == "alice")
    }

    @Test("ES256 tokens verify against a P-256 public key")
    func es256() async throws {
        let verifier = try await self.verifier([TokenKey(algorithm: .es256, material: TestKeys.ecPublic)])
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES256PrivateKey(pem: TestKeys.ecPrivate))
        let token = try await keys.sign(Claims(sub: "bob"))
        #expect(try await verifier.verify(token, now: Self.now).user == "bob")
    }

    @Test("a token naming a kid is checked against that key only")
    func keyID() async throws {
        let other = "second-secret-second-secret-0123456789"
        let verifier = try await self.verifier([
            TokenKey(algorithm: .hs256, material: Self.secret, kid: "k1"),
            TokenKey(algorithm: .hs256, material: other, kid: "k2"),
        ])
        let good = try await self.hs256(Claims(sub: "carol"), secret: other, kid: "k2")
        #expect(try await verifier.verify(good, now: Self.now).user == "carol")
        let mislabelled = try await self.hs256(Claims(sub: "carol"), secret: other, kid: "k1")
        await #expect(throws: TokenError.self) { try await verifier.verify(mislabelled, now: Self.now) }
        let unknown = try await self.hs256(Claims(sub: "carol"), secret: other, kid: "k9")
        await #expect(throws: TokenError.self) { try await verifier.verify(unknown, now: Self.now) }
    }

    @Test("unusable keys are refused at start-up, naming the key")
    func badKeys() async throws {
        await #expect(throws: TokenError.badKey(index: 0, reason: "an HS256 secret needs at least 32 bytes")) {
            _ = try await TokenVerifier(configuration: AuthConfiguration(keys: [TokenKey(algorithm: .hs256, material: "short")]))
        }
        await #expect(throws: TokenError.self) {
            _ = try await TokenVerifier(configuration: AuthConfiguration(keys: [TokenKey(algorithm: .rs256, material: "not a pem")]))
        }
    }
}
