/// A WebSocket close code as the protocol uses it (docs/protocol.md, section 5): the code, a short reason
/// (fits a close frame) and whether a client should reconnect.
public struct DisconnectCode: Sendable, Hashable, CustomStringConvertible {
    public let code: UInt16
    public let reason: String
    public let reconnect: Bool

    private init(_ code: UInt16, _ reason: String, reconnect: Bool) {
        self.code = code
        self.reason = reason
        self.reconnect = reconnect
    }

    /// A code with its own reason, e.g. an application code (4000–4999) sent through the server API.
    public init(code: UInt16, reason: String, reconnect: Bool) {
        self.init(code, reason, reconnect: reconnect)
    }

    /// The documented entry for `code`, or for an unlisted code a generic reason and
    /// ``shouldReconnect(closeCode:)``.
    public init(code: UInt16) {
        if let known = Self.all.first(where: { $0.code == code }) {
            self = known
        } else {
            self.init(code, "close \(code)", reconnect: Self.shouldReconnect(closeCode: code))
        }
    }

    public static let normal = DisconnectCode(1000, "normal", reconnect: false)
    public static let goingAway = DisconnectCode(1001, "going away", reconnect: true)
    public static let abnormal = DisconnectCode(1006, "abnormal closure", reconnect: true)
    public static let messageTooBig = DisconnectCode(1009, "message too big", reconnect: false)
    public static let serverError = DisconnectCode(1011, "server error", reconnect: true)
    public static let serviceRestart = DisconnectCode(1012, "service restart", reconnect: true)
    public static let tryAgainLater = DisconnectCode(1013, "try again later", reconnect: true)
    /// 3000: reconnect requested (server API).
    public static let reconnectRequested = DisconnectCode(3000, "reconnect requested", reconnect: true)
    /// 3001: the node is going away; reconnect after `delay`.
    public static let shutdown = DisconnectCode(3001, "shutdown", reconnect: true)
    public static let internalError = DisconnectCode(3002, "internal error", reconnect: true)
    /// 3003: the outbound queue overflowed; reconnect at once (recovery fills the gap).
    public static let slowConsumer = DisconnectCode(3003, "slow consumer", reconnect: true)
    /// 3004: reconnect with a fresh token.
    public static let tokenExpired = DisconnectCode(3004, "token expired", reconnect: true)
    /// 3005: no `connect` within `connect_timeout_ms`, or no pong.
    public static let stale = DisconnectCode(3005, "stale", reconnect: true)
    public static let tooManyRequests = DisconnectCode(3006, "too many requests", reconnect: true)
    /// 3007: `max_connections` reached.
    public static let nodeFull = DisconnectCode(3007, "node full", reconnect: true)
    /// 3500: `connect` refused.
    public static let unauthorized = DisconnectCode(3500, "unauthorized", reconnect: false)
    /// 3501: not JSON, not an object, binary frame, command before `connect`, no valid `id` or `op`.
    public static let badRequest = DisconnectCode(3501, "bad request", reconnect: false)
    /// 3502: server API disconnect without reconnect.
    public static let forbidden = DisconnectCode(3502, "forbidden", reconnect: false)
    public static let unsupportedVersion = DisconnectCode(3504, "unsupported protocol version", reconnect: false)

    /// Every code the protocol lists, in order.
    public static let all: [DisconnectCode] = [
        .normal, .goingAway, .abnormal, .messageTooBig, .serverError, .serviceRestart, .tryAgainLater,
        .reconnectRequested, .shutdown, .internalError, .slowConsumer, .tokenExpired, .stale, .tooManyRequests,
        .nodeFull, .unauthorized, .badRequest, .forbidden, .unsupportedVersion,
    ]

    /// Whether a client reconnects after the socket closed with `closeCode`: the table for listed codes; for
    /// others, 3000–3499 and 4000–4499 yes, 3500–3999 and 4500–4999 no, 1000–1999 yes except 1002, 1003,
    /// 1007, 1008 and 1010 (RFC 6455: the peer found the other side's data unacceptable, retrying will not
    /// help), and no for anything outside 1000–4999 (not a valid close code).
    public static func shouldReconnect(closeCode: UInt16) -> Bool {
        if let known = Self.all.first(where: { $0.code == closeCode }) { return known.reconnect }
        switch closeCode {
        case 1002, 1003, 1007, 1008, 1010: return false
        case 1000...1999: return true
        case 3000...3499, 4000...4499: return true
        default: return false
        }
    }

    public var description: String { "\(self.code) \(self.reason)" }
}
