/// How connection tokens are verified.
public struct AuthConfiguration: Sendable, Hashable {
    /// Keys tokens may be signed with. A token is accepted only with the algorithm its key is configured
    /// for (no `none`, no algorithm confusion).
    public var keys: [TokenKey]
    /// Allow connections without a token (user ""); each namespace still decides with `allowAnonymous`.
    public var allowAnonymous: Bool
    /// Tolerated clock skew for `exp` and `nbf`.
    public var leeway: Duration

    public init(keys: [TokenKey] = [], allowAnonymous: Bool = false, leeway: Duration = .seconds(5)) {
        self.keys = keys
        self.allowAnonymous = allowAnonymous
        self.leeway = leeway
    }
}

/// One verification key.
public struct TokenKey: Sendable, Hashable {
    public enum Algorithm: String, Sendable, Hashable, CaseIterable {
        case hs256 = "HS256"
        case rs256 = "RS256"
        case es256 = "ES256"
    }

    public var algorithm: Algorithm
    /// HS256: the shared secret (at least 32 bytes). RS256 / ES256: a PEM public key.
    public var material: String
    /// Optional key id; a token whose header names a `kid` is only checked against that key.
    public var kid: String?

    public init(algorithm: Algorithm, material: String, kid: String? = nil) {
        self.algorithm = algorithm
        self.material = material
        self.kid = kid
    }
}
