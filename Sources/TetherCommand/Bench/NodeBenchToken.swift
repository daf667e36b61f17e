import Crypto
import Foundation

/// Signs the connection tokens of `tether bench fanout` and `tether bench node-idle`: HS256 JWTs
/// (docs/protocol.md, section 6) made with swift-crypto's HMAC, so the load generator needs no JWT library.
enum NodeBenchToken {
    /// A compact JWT `base64url(header).base64url(payload).base64url(HMAC-SHA256)` with header
    /// `{"alg":"HS256","typ":"JWT"}` and payload `{"sub":subject}` plus `exp` (seconds since the Unix epoch)
    /// when `expiresAt` is given. `subject` is written as a JSON string (escaped).
    static func sign(subject: String, secret: String, expiresAt: Int64? = nil) -> String {
        let header = #"{"alg":"HS256","typ":"JWT"}"#
        var payload = #"{"sub":"# + jsonString(subject)
        if let expiresAt { payload += #","exp":\#(expiresAt)"# }
        payload += "}"
        let signingInput = base64URL(Data(header.utf8)) + "." + base64URL(Data(payload.utf8))
        let key = SymmetricKey(data: Data(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: key)
        return signingInput + "." + base64URL(Data(mac))
    }

    /// Base64url without padding (RFC 7515, section 2).
    static func base64URL(_ data: Data) -> String {
        var text = data.base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    /// `value` as a JSON string literal, quotes included.
    static func jsonString(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
