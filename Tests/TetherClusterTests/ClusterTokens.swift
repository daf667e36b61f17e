import Foundation
import JWTKit

/// HS256 tokens signed with ``ClusterNodeConfiguration/tokenSecret``, as the nodes verify them.
enum ClusterTokens {
    /// A token for `user`, valid for an hour.
    static func token(user: String) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: ClusterNodeConfiguration.tokenSecret), digestAlgorithm: .sha256)
        let expiry = Int64(Date().timeIntervalSince1970) + 3600
        return try await keys.sign(ClusterClaims(sub: user, exp: expiry))
    }
}

/// The claims the cluster tests put in a token: the user and an expiry.
struct ClusterClaims: JWTPayload {
    var sub: String
    var exp: Int64

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
