import Foundation
import JWTKit
import TetherProtocol

/// Verifies connection tokens (JWT) against the configured keys.
///
/// Strictness: the header's `alg` must be exactly the algorithm of the key it is checked against (so
/// `none` and algorithm confusion fail before any signature math); a header `kid` selects that key only;
/// `sub` is required, `exp` and `nbf` are enforced with the configured leeway.
public struct TokenVerifier: Sendable {
    private struct Entry: Sendable {
        let key: TokenKey
        let collection: JWTKeyCollection
    }

    private let entries: [Entry]
    private let leewayMilliseconds: Int64

    /// Fails with ``TokenError/badKey(index:reason:)`` for a key that cannot be used (short secret, bad PEM).
    public init(configuration: AuthConfiguration) async throws {
        var entries: [Entry] = []
        for (index, key) in configuration.keys.enumerated() {
            let collection = JWTKeyCollection()
            switch key.algorithm {
            case .hs256:
                guard key.material.utf8.count >= 32 else {
                    throw TokenError.badKey(index: index, reason: "an HS256 secret needs at least 32 bytes")
                }
                await collection.add(hmac: HMACKey(from: key.material), digestAlgorithm: .sha256)
            case .rs256:
                do {
                    await collection.add(rsa: try Insecure.RSA.PublicKey(pem: key.material), digestAlgorithm: .sha256)
                } catch {
                    throw TokenError.badKey(index: index, reason: "not an RSA public key in PEM form")
                }
            case .es256:
                do {
                    await collection.add(ecdsa: try ES256PublicKey(pem: key.material))
                } catch {
                    throw TokenError.badKey(index: index, reason: "not a P-256 public key in PEM form")
                }
            }
            entries.append(Entry(key: key, collection: collection))
        }
        self.entries = entries
        self.leewayMilliseconds = configuration.leeway.milliseconds
    }

    /// Verifies `token` at time `now` (milliseconds since the Unix epoch).
    public func verify(_ token: String, now: Int64) async throws(TokenError) -> Credentials {
        let header = try Self.header(of: token)
        let candidates = self.entries.filter { entry in
            guard entry.key.algorithm.rawValue == header.alg else { return false }
            if let kid = header.kid { return entry.key.kid == kid }
            return true
        }
        guard !candidates.isEmpty else { throw TokenError.invalid("algorithm or key id not accepted") }
        var payload: TokenPayload?
        for entry in candidates {
            if let verified = try? await entry.collection.verify(token, as: TokenPayload.self) {
                payload = verified
                break
            }
        }
        guard let payload else { throw TokenError.invalid("signature does not verify") }
        if let exp = payload.exp, exp * 1000 + self.leewayMilliseconds <= now {
            throw TokenError.expired
        }
        if let nbf = payload.nbf, nbf * 1000 - self.leewayMilliseconds > now {
            throw TokenError.invalid("not valid yet (nbf)")
        }
        return Credentials(
            user: payload.sub,
            expiresAt: payload.exp.map { $0 * 1000 },
            channels: payload.channels ?? [],
            info: payload.info?.raw
        )
    }

    private struct Header: Decodable {
        let alg: String
        let kid: String?
    }

    private static func header(of token: String) throws(TokenError) -> Header {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = Data(base64URLEncoded: String(parts[0])) else {
            throw TokenError.invalid("not a JWT")
        }
        guard let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw TokenError.invalid("unreadable JWT header")
        }
        return header
    }
}

/// Why a token was refused.
public enum TokenError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalid(String)
    case expired
    case badKey(index: Int, reason: String)

    public var description: String {
        switch self {
        case .invalid(let reason): "invalid token: \(reason)"
        case .expired: "token expired"
        case .badKey(let index, let reason): "auth key \(index): \(reason)"
        }
    }
}

/// The claims Tether reads. Signature and structure are checked by jwt-kit; times by ``TokenVerifier``.
struct TokenPayload: JWTPayload {
    var sub: String
    var exp: Int64?
    var nbf: Int64?
    var channels: [String]?
    var info: ClaimJSON?

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

extension Data {
    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
