import Crypto

/// Issues and verifies the gateway's sticky cookie: `base64url(payload).base64url(HMAC-SHA256(payload))`,
/// payload = version (1 byte, 1) ‖ epoch (Int64, big endian) ‖ issued-at unix seconds (Int64, big endian) ‖
/// endpoint id (UTF-8).
///
/// The cookie only names an endpoint; it grants nothing, so the MAC exists to stop clients from choosing
/// (and overloading) endpoints of their own, and the epoch lets an operator invalidate every cookie at once.
/// Decoding never traps: tampered, stale, future-dated, wrong-epoch or garbage values all give nil.
public struct StickyCookieCodec: Sendable {
    public let configuration: StickyCookieConfiguration
    private let key: SymmetricKey
    private static let version: UInt8 = 1
    /// Cookies issued up to this far in the future (clock steps between gateway instances) are accepted.
    private static let allowedClockSkew: Double = 300
    private static let maxEncodedLength = 1024

    public init(configuration: StickyCookieConfiguration) {
        self.configuration = configuration
        self.key = SymmetricKey(data: Array(configuration.secret.utf8))
    }

    public var name: String { configuration.name }

    /// The cookie value naming `endpointID`, issued at `now` (unix seconds).
    public func encode(endpointID: String, now: Double) -> String {
        var payload: [UInt8] = [Self.version]
        Self.appendBigEndian(Int64(configuration.epoch), to: &payload)
        Self.appendBigEndian(now.isFinite ? Int64(min(max(now, -9e18), 9e18).rounded(.down)) : 0, to: &payload)
        payload += Array(endpointID.utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: payload, using: key)
        return Base64URL.encode(payload) + "." + Base64URL.encode(Array(mac))
    }

    /// The endpoint id in `value` when its MAC verifies, its epoch is the configured one and it was issued no
    /// more than `maxAge` before `now` (unix seconds); nil otherwise.
    public func decode(_ value: String, now: Double) -> String? {
        guard value.utf8.count <= Self.maxEncodedLength, now.isFinite else { return nil }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Base64URL.decode(parts[0]), let mac = Base64URL.decode(parts[1]),
            mac.count == SHA256.byteCount,
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: payload, using: key),
            payload.count >= 17, payload[0] == Self.version
        else { return nil }
        let epoch = Self.readBigEndian(payload[1..<9])
        let issuedAt = Double(Self.readBigEndian(payload[9..<17]))
        let age = now - issuedAt
        guard epoch == Int64(configuration.epoch), age <= configuration.maxAge.doubleSeconds, age >= -Self.allowedClockSkew else {
            return nil
        }
        return String(validating: payload[17...], as: UTF8.self)
    }

    /// `Set-Cookie` value for `value`: `name=value; Path=/; Max-Age=N; HttpOnly; SameSite=Lax[; Secure]`.
    public func setCookieHeader(value: String, secure: Bool) -> String {
        let maxAge = max(0, configuration.maxAge.components.seconds)
        return "\(configuration.name)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax"
            + (secure ? "; Secure" : "")
    }

    private static func appendBigEndian(_ value: Int64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    private static func readBigEndian(_ bytes: ArraySlice<UInt8>) -> Int64 {
        bytes.reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }
}
