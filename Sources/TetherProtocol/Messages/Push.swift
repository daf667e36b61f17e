/// A message the node sends without a command: `{"push":"<kind>", …}` (docs/protocol.md, section 4).
public enum Push: Sendable, Hashable {
    /// A publication of `channel` in `epoch`. Its `info` carries only the publisher's identity.
    case pub(channel: String, epoch: String, publication: Publication)
    case join(channel: String, info: ClientInfo)
    case leave(channel: String, info: ClientInfo)
    /// Offsets not sent to this connection because it was too slow.
    case gap(channel: String, missing: OffsetRange)
    /// Sent just before the node closes the socket with `code`. `delayMs`: wait at least this long before
    /// reconnecting.
    case disconnect(code: UInt16, reason: String, reconnect: Bool, delayMs: Int?)
    case ping
    /// A push kind this version does not know (decoding only; clients ignore it).
    case unknown(kind: String)

    /// The `disconnect` push for a documented close code.
    public static func disconnect(_ code: DisconnectCode, delayMs: Int? = nil) -> Push {
        .disconnect(code: code.code, reason: code.reason, reconnect: code.reconnect, delayMs: delayMs)
    }

    /// The wire name of the kind (`"pub"`, …).
    public var kind: String {
        switch self {
        case .pub: "pub"
        case .join: "join"
        case .leave: "leave"
        case .gap: "gap"
        case .disconnect: "disconnect"
        case .ping: "ping"
        case .unknown(let kind): kind
        }
    }
}

extension Push: JSONEncodable {
    /// Writes the push straight into `writer`; `pub` copies the publication's data verbatim.
    ///
    /// Shapes: `{"push":"pub","channel","offset","epoch","data","info"?}`, `{"push":"join"|"leave","channel",
    /// "info"}`, `{"push":"gap","channel","from","to"}`, `{"push":"disconnect","code","reason","reconnect",
    /// "delay"?}`, `{"push":"ping"}`.
    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("push")
        writer.string(self.kind)
        switch self {
        case .pub(let channel, let epoch, let publication):
            writer.key("channel")
            writer.string(channel)
            writer.key("offset")
            writer.number(publication.offset)
            writer.key("epoch")
            writer.string(epoch)
            writer.key("data")
            writer.raw(publication.data)
            if let info = publication.info {
                writer.key("info")
                info.encodeIdentity(to: &writer)
            }
        case .join(let channel, let info), .leave(let channel, let info):
            writer.key("channel")
            writer.string(channel)
            writer.key("info")
            info.encode(to: &writer)
        case .gap(let channel, let missing):
            writer.key("channel")
            writer.string(channel)
            missing.encodeFields(to: &writer)
        case .disconnect(let code, let reason, let reconnect, let delayMs):
            writer.key("code")
            writer.number(Int(code))
            writer.key("reason")
            writer.string(reason)
            writer.key("reconnect")
            writer.bool(reconnect)
            if let delayMs {
                writer.key("delay")
                writer.number(delayMs)
            }
        case .ping, .unknown:
            break
        }
        writer.endObject()
    }

    /// The frame text of this push, with capacity reserved for the data of a `pub` (encode a `pub` once and
    /// send the same text to every subscriber).
    public func frame() -> String {
        var capacity = 64
        if case .pub(let channel, let epoch, let publication) = self {
            capacity += channel.utf8.count + epoch.utf8.count + publication.data.byteCount + 120
        }
        var writer = JSONWriter(capacity: capacity)
        self.encode(to: &writer)
        return writer.text
    }
}
