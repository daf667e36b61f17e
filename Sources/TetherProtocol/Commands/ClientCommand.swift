/// One command from a client: `{"id":N,"op":"…", …the op's fields}` (docs/protocol.md, section 3).
public struct ClientCommand: Sendable, Hashable {
    /// 1 … 2³²−1, unique among the client's commands in flight; the reply echoes it.
    public var id: UInt32
    public var op: Operation

    public init(id: UInt32, op: Operation) {
        self.id = id
        self.op = op
    }

    public enum Operation: Sendable, Hashable {
        case connect(ConnectRequest)
        case subscribe(SubscribeRequest)
        case unsubscribe(channel: String)
        case publish(PublishRequest)
        case history(HistoryRequest)
        case presence(channel: String)
        case presenceStats(channel: String)
        case refresh(token: String)
        case ping

        /// The wire name (`"presence_stats"`, …).
        public var name: String {
            switch self {
            case .connect: "connect"
            case .subscribe: "subscribe"
            case .unsubscribe: "unsubscribe"
            case .publish: "publish"
            case .history: "history"
            case .presence: "presence"
            case .presenceStats: "presence_stats"
            case .refresh: "refresh"
            case .ping: "ping"
            }
        }

        /// The channel the command is about, for ops that have one.
        public var channel: String? {
            switch self {
            case .subscribe(let request): request.channel
            case .unsubscribe(let channel), .presence(let channel), .presenceStats(let channel): channel
            case .publish(let request): request.channel
            case .history(let request): request.channel
            case .connect, .refresh, .ping: nil
            }
        }
    }
}

extension ClientCommand: JSONEncodable {
    /// `{"id":N,"op":"…",fields}` with the fields in the order the protocol document lists them.
    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("id")
        writer.number(UInt64(self.id))
        writer.key("op")
        writer.string(self.op.name)
        switch self.op {
        case .connect(let request): request.encodeFields(to: &writer)
        case .subscribe(let request): request.encodeFields(to: &writer)
        case .publish(let request): request.encodeFields(to: &writer)
        case .history(let request): request.encodeFields(to: &writer)
        case .unsubscribe(let channel), .presence(let channel), .presenceStats(let channel):
            writer.key("channel")
            writer.string(channel)
        case .refresh(let token):
            writer.key("token")
            writer.string(token)
        case .ping:
            break
        }
        writer.endObject()
    }
}
