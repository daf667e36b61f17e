import TetherProtocol

/// Per-namespace rules: a channel `chat:room1` belongs to namespace `chat`; a channel without `:` belongs
/// to the default namespace `""`.
public struct NamespaceOptions: Sendable, Hashable {
    /// Publications kept per channel for recovery and `history`; 0 keeps none.
    public var historySize: Int
    /// How long a publication stays in history.
    public var historyTTL: Duration
    /// Whether `presence` / `presence_stats` are answered and connections are tracked.
    public var presence: Bool
    /// Whether `join` / `leave` pushes are sent to subscribers (requires `presence`).
    public var joinLeave: Bool
    /// Whether clients may `publish` (the server API always may).
    public var allowPublish: Bool
    /// Who may subscribe.
    public var subscribe: SubscribePolicy
    /// Whether connections without a token (anonymous, user "") may subscribe here.
    public var allowAnonymous: Bool
    /// What happens when a subscriber's outbound queue is full.
    public var slowConsumer: SlowConsumerPolicy

    public init(
        historySize: Int = 100,
        historyTTL: Duration = .seconds(300),
        presence: Bool = false,
        joinLeave: Bool = false,
        allowPublish: Bool = false,
        subscribe: SubscribePolicy = .any,
        allowAnonymous: Bool = false,
        slowConsumer: SlowConsumerPolicy = .disconnect
    ) {
        self.historySize = historySize
        self.historyTTL = historyTTL
        self.presence = presence
        self.joinLeave = joinLeave
        self.allowPublish = allowPublish
        self.subscribe = subscribe
        self.allowAnonymous = allowAnonymous
        self.slowConsumer = slowConsumer
    }

    public enum SubscribePolicy: String, Sendable, Hashable, CaseIterable {
        /// Any authenticated connection (and anonymous ones where `allowAnonymous`).
        case any
        /// Only channels matched by the token's `channels` claim.
        case tokenClaim = "token"
        /// The embedding application's ``SubscribeAuthorizer`` decides.
        case authorizer
    }

    public enum SlowConsumerPolicy: String, Sendable, Hashable, CaseIterable {
        /// Close with 3003; the client reconnects and recovers from history.
        case disconnect
        /// Drop what does not fit and send a `gap` push with the exact range once there is room.
        case gap
    }
}

/// Decides subscriptions for namespaces with ``NamespaceOptions/SubscribePolicy/authorizer`` (embedded
/// nodes). Called once per subscribe, off the connection's hot path; may suspend.
public typealias SubscribeAuthorizer = @Sendable (_ user: String, _ channel: String, _ claims: Credentials) async -> Bool
