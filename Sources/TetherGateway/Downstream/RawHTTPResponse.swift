import NIOCore
import TetherGatewayCore

/// Serialises small HTTP/1.1 responses the gateway writes itself, below the HTTP codec (refusals before a
/// head was parsed, and the relayed `101` whose headers must go out exactly as the endpoint sent them).
enum RawHTTPResponse {
    static func head(status: Int, reason: String, headers: [(String, String)]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("HTTP/1.1 \(status) \(reason)\r\n")
        for (name, value) in headers {
            buffer.writeString(name)
            buffer.writeString(": ")
            buffer.writeString(value)
            buffer.writeString("\r\n")
        }
        buffer.writeString("\r\n")
        return buffer
    }

    /// A complete `Connection: close` response for a refusal, with a one-line text body.
    static func refusal(_ refusal: GatewayRefusal, extraHeaders: [(String, String)] = []) -> ByteBuffer {
        let body = refusal.message + "\n"
        var buffer = head(
            status: refusal.status,
            reason: reasonPhrase(refusal.status),
            headers: [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", "\(body.utf8.count)"),
                ("Connection", "close"),
            ] + extraHeaders
        )
        buffer.writeString(body)
        return buffer
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 101: "Switching Protocols"
        case 200: "OK"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 408: "Request Timeout"
        case 413: "Content Too Large"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Status \(status)"
        }
    }
}
