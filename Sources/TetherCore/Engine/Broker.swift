import TetherProtocol

/// One node's handle on the engine's channels: publishing with offsets, history, and fan-out of the
/// channels this node has local subscribers for.
///
/// Contract (the engine conformance suite in TetherTesting checks every line):
/// - `publish` assigns the channel's next offset (previous + 1, starting at 1 in a new epoch) atomically
///   with the append to history; concurrent publishes to one channel are totally ordered, and that order
///   is the order of history and of every node's events.
/// - A publish that returns has its offset and is in history (when `historySize > 0`), and its event has
///   been handed to fan-out. A publish that throws did neither.
/// - With an idempotency key, a repeat on the same channel within `idempotencyWindow` returns the first
///   result with `duplicate == true` and publishes nothing.
/// - `history` never returns a partial middle: it returns the publications with offsets after `after`
///   that are still held, in order, starting from the oldest held one and at most `limit`.
/// - Reading history or publishing on a channel without state creates its metadata (epoch, offset 0),
///   so a position obtained before the first publication stays valid.
/// - Events for a subscribed channel reach this broker's sink in offset order, starting with the first
///   publication whose offset is assigned after `subscribe` returned.
public protocol Broker: Sendable {
    func subscribe(_ channel: String) async throws
    func unsubscribe(_ channel: String) async throws
    func publish(_ request: EnginePublishRequest) async throws -> EnginePublishResult
    func history(_ request: EngineHistoryRequest) async throws -> EngineHistoryResult
    /// Sends a join or leave to every node subscribed to `channel`.
    func publishPresence(_ event: PresenceEvent, channel: String) async throws
    /// Sends a control message to every node, this one included (cluster-wide disconnects and the like).
    func publishControl(_ message: RawJSON) async throws
    /// Detaches the node: its subscriptions end and its sink gets no further events.
    func close() async
}

/// Per-namespace storage rules the engine applies to one channel.
public struct ChannelOptions: Sendable, Hashable {
    /// Publications kept per channel; 0 keeps none (offsets are still assigned).
    public var historySize: Int
    /// How long a publication stays in history.
    public var historyTTL: Duration
    /// How long a channel's metadata (offset, epoch) outlives its last publication or read. When it
    /// expires the next publication starts a new epoch.
    public var metaTTL: Duration
    /// How long an idempotency key is remembered.
    public var idempotencyWindow: Duration

    public init(
        historySize: Int = 0,
        historyTTL: Duration = .seconds(300),
        metaTTL: Duration = .seconds(86_400),
        idempotencyWindow: Duration = .seconds(300)
    ) {
        self.historySize = historySize
        self.historyTTL = historyTTL
        self.metaTTL = metaTTL
        self.idempotencyWindow = idempotencyWindow
    }
}

public struct EnginePublishRequest: Sendable {
    public var channel: String
    public var data: RawJSON
    public var info: ClientInfo?
    public var idempotencyKey: String?
    public var options: ChannelOptions

    public init(channel: String, data: RawJSON, info: ClientInfo? = nil, idempotencyKey: String? = nil, options: ChannelOptions) {
        self.channel = channel
        self.data = data
        self.info = info
        self.idempotencyKey = idempotencyKey
        self.options = options
    }
}

public struct EnginePublishResult: Sendable, Hashable {
    public var position: StreamPosition
    /// True when the idempotency key was seen within the window: nothing was published.
    public var duplicate: Bool

    public init(position: StreamPosition, duplicate: Bool = false) {
        self.position = position
        self.duplicate = duplicate
    }
}

public struct EngineHistoryRequest: Sendable {
    public var channel: String
    /// Return publications with offsets strictly greater than this (nil: from the oldest held).
    public var after: UInt64?
    /// Maximum number of publications returned; 0 returns only the position.
    public var limit: Int
    public var options: ChannelOptions

    public init(channel: String, after: UInt64? = nil, limit: Int, options: ChannelOptions) {
        self.channel = channel
        self.after = after
        self.limit = limit
        self.options = options
    }
}

public struct EngineHistoryResult: Sendable, Hashable {
    /// The channel's latest position at the time of the read.
    public var position: StreamPosition
    /// Held publications after the requested offset, oldest first, at most `limit`.
    public var publications: [Publication]

    public init(position: StreamPosition, publications: [Publication]) {
        self.position = position
        self.publications = publications
    }
}

public enum PresenceEvent: Sendable, Hashable {
    case join(ClientInfo)
    case leave(ClientInfo)
}
