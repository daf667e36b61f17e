import NIOCore

/// A message received by a ``RedisSubscriber``.
public struct RedisPubSubMessage: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// From `SUBSCRIBE`.
        case message
        /// From `PSUBSCRIBE`; ``RedisPubSubMessage/pattern`` is the pattern that matched.
        case pmessage
        /// From `SSUBSCRIBE` (sharded pub/sub).
        case smessage
    }

    public var kind: Kind
    /// The channel it was published on.
    public var channel: String
    /// The matching pattern, for ``Kind/pmessage`` only.
    public var pattern: String?
    public var payload: ByteBuffer

    public init(kind: Kind, channel: String, pattern: String? = nil, payload: ByteBuffer) {
        self.kind = kind
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
    }

    /// Parses `message`/`pmessage`/`smessage` frames (RESP3 push or RESP2 array elements).
    init?(elements: [RESPValue]) {
        guard let kind = elements.first?.string?.lowercased() else { return nil }
        switch kind {
        case "message", "smessage":
            guard elements.count == 3, let channel = elements[1].string, let payload = elements[2].buffer else { return nil }
            self.init(kind: kind == "message" ? .message : .smessage, channel: channel, payload: payload)
        case "pmessage":
            guard elements.count == 4, let pattern = elements[1].string, let channel = elements[2].string,
                  let payload = elements[3].buffer
            else { return nil }
            self.init(kind: .pmessage, channel: channel, pattern: pattern, payload: payload)
        default:
            return nil
        }
    }
}
