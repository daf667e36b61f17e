/// Errors thrown by ``WebSocketTestClient``. Carries the HTTP response when the server refused the upgrade,
/// so tests can assert on 429/503/431 and friends.
public struct WebSocketTestClientError: Error, CustomStringConvertible {
    /// What went wrong. Compare with the static members (`error.code == .upgradeRejected`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        /// The server answered the upgrade request with a status other than 101; see `status`, `headers`, `body`.
        public static let upgradeRejected = Code(name: "upgradeRejected")
        /// The server answered 101 but the handshake is wrong (bad `Sec-WebSocket-Accept`, missing `Upgrade`).
        public static let invalidHandshake = Code(name: "invalidHandshake")
        /// The operation did not finish within its timeout.
        public static let timeout = Code(name: "timeout")
        /// The connection closed before the operation could finish (or there are no more messages).
        public static let connectionClosed = Code(name: "connectionClosed")
        /// The peer violated the WebSocket or HTTP protocol (bad frame, response parse error, …).
        public static let protocolViolation = Code(name: "protocolViolation")

        public var description: String { self.name }
    }

    public let code: Code
    /// HTTP status of the response, when there was one.
    public let status: Int?
    /// Response headers, in order, when there was a response.
    public let headers: [(String, String)]
    /// Response body (first 64 KiB, decoded as UTF-8), when there was a response.
    public let body: String
    /// Free-form detail for humans.
    public let detail: String

    init(_ code: Code, status: Int? = nil, headers: [(String, String)] = [], body: String = "", detail: String = "") {
        self.code = code
        self.status = status
        self.headers = headers
        self.body = body
        self.detail = detail
    }

    /// The first value of response header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        self.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    public var description: String {
        var text = "WebSocketTestClientError.\(self.code)"
        if let status { text += " status=\(status)" }
        if !self.detail.isEmpty { text += ": \(self.detail)" }
        if !self.body.isEmpty { text += " body=\(self.body.prefix(200).debugDescription)" }
        return text
    }
}
