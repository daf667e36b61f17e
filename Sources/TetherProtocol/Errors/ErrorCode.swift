/// A reply error code (docs/protocol.md, section 5). A struct rather than an enum so codes a newer node adds
/// in the documented range still decode.
public struct ErrorCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int

    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    /// 100: a bug or unexpected engine reply (temporary).
    public static let internalError = ErrorCode(rawValue: 100)
    /// 101: bad, missing or unverifiable token.
    public static let unauthorized = ErrorCode(rawValue: 101)
    /// 102: the channel's namespace is not configured.
    public static let unknownNamespace = ErrorCode(rawValue: 102)
    /// 103: channel not granted, publishing not allowed, refresh for another user.
    public static let permissionDenied = ErrorCode(rawValue: 103)
    /// 104: an `op` the node does not know.
    public static let unknownOp = ErrorCode(rawValue: 104)
    /// 105
    public static let alreadySubscribed = ErrorCode(rawValue: 105)
    /// 106: `max_subscriptions_per_connection`.
    public static let limitExceeded = ErrorCode(rawValue: 106)
    /// 107: a missing or wrongly typed field.
    public static let badRequest = ErrorCode(rawValue: 107)
    /// 108: history or presence disabled for the namespace.
    public static let notAvailable = ErrorCode(rawValue: 108)
    /// 109: refresh with an expired token.
    public static let tokenExpired = ErrorCode(rawValue: 109)
    /// 110: over `max_commands_per_second` (temporary).
    public static let tooManyRequests = ErrorCode(rawValue: 110)
    /// 111: `history` since a position of another epoch (or ahead).
    public static let epochMismatch = ErrorCode(rawValue: 111)
    /// 112: publication data over `max_publication_size`.
    public static let messageTooLarge = ErrorCode(rawValue: 112)
    /// 113
    public static let notSubscribed = ErrorCode(rawValue: 113)
    /// 114: the engine cannot be reached; nothing was done (temporary).
    public static let unavailable = ErrorCode(rawValue: 114)
    /// 115: empty, longer than 255 bytes, or a character outside the allowed set.
    public static let invalidChannel = ErrorCode(rawValue: 115)
    /// 116: a second `connect`.
    public static let alreadyConnected = ErrorCode(rawValue: 116)

    /// Every code the protocol documents, in order.
    public static let allDocumented: [ErrorCode] = (100...116).map { ErrorCode(rawValue: $0) }

    /// The table's name ("permission denied"); "error N" for undocumented codes.
    public var name: String {
        switch self.rawValue {
        case 100: "internal"
        case 101: "unauthorized"
        case 102: "unknown namespace"
        case 103: "permission denied"
        case 104: "unknown op"
        case 105: "already subscribed"
        case 106: "limit exceeded"
        case 107: "bad request"
        case 108: "not available"
        case 109: "token expired"
        case 110: "too many requests"
        case 111: "epoch mismatch"
        case 112: "message too large"
        case 113: "not subscribed"
        case 114: "unavailable"
        case 115: "invalid channel"
        case 116: "already connected"
        default: "error \(self.rawValue)"
        }
    }

    /// Whether the same command may succeed if retried later (the table's default: 100, 110, 114).
    public var isTemporary: Bool {
        self == .internalError || self == .tooManyRequests || self == .unavailable
    }

    public var description: String { "\(self.rawValue) \(self.name)" }
}
