/// The result of `subscribe` (and each entry of a connect result's `subs`).
///
/// Without `since`, `recovered`, `reason`, `missing` and `publications` are nil. With `since`: recovered →
/// `recovered: true` and the publications; trimmed → `recovered: false`, `reason: .trimmed`, `missing` and the
/// publications still held (possibly empty); other epoch or ahead → `recovered: false`, `reason: .epoch`,
/// nothing else.
public struct SubscribeResult: Sendable, Hashable {
    public var channel: String
    /// The channel's latest position when the subscription began; `pub` pushes continue after it.
    public var position: StreamPosition
    /// Whether the namespace keeps history.
    public var recoverable: Bool
    public var recovered: Bool?
    public var reason: RecoveryFailure?
    public var missing: OffsetRange?
    public var publications: [Publication]?
    /// True when `publications` is only the first part of what was recovered (it would not fit in one
    /// frame): the client fetches the rest with `history` since the last one before handling later pushes.
    public var more: Bool = false

    public init(
        channel: String,
        position: StreamPosition,
        recoverable: Bool,
        recovered: Bool? = nil,
        reason: RecoveryFailure? = nil,
        missing: OffsetRange? = nil,
        publications: [Publication]? = nil
    ) {
        self.channel = channel
        self.position = position
        self.recoverable = recoverable
        self.recovered = recovered
        self.reason = reason
        self.missing = missing
        self.publications = publications
    }
}

extension SubscribeResult: JSONEncodable, JSONDecodable {
    /// `{"channel","position","recoverable","recovered"?,"reason"?,"missing"?,"publications"?,"more"?}`.
    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("channel")
        writer.string(self.channel)
        writer.key("position")
        self.position.encode(to: &writer)
        writer.key("recoverable")
        writer.bool(self.recoverable)
        if let recovered = self.recovered {
            writer.key("recovered")
            writer.bool(recovered)
        }
        if let reason = self.reason {
            writer.key("reason")
            writer.string(reason.rawValue)
        }
        if let missing = self.missing {
            writer.key("missing")
            missing.encode(to: &writer)
        }
        if let publications = self.publications {
            writer.key("publications")
            writer.beginArray()
            for publication in publications { publication.encode(to: &writer) }
            writer.endArray()
        }
        if self.more {
            writer.key("more")
            writer.bool(true)
        }
        writer.endObject()
    }

    public init(json: JSONValue) throws(JSONShapeError) {
        try self.init(json: json, channel: nil)
    }

    /// `channel`: the key of a connect result's `subs` entry, used when the entry has no `channel` of its own.
    init(json: JSONValue, channel: String?) throws(JSONShapeError) {
        let object = try json.requireObject("subscribe result")
        var reason: RecoveryFailure?
        if let text = try object.optionalString("reason") {
            guard let known = RecoveryFailure(rawValue: text) else {
                throw JSONShapeError("\"reason\" must be \"trimmed\" or \"epoch\"")
            }
            reason = known
        }
        let ownChannel = try object.optionalString("channel")
        guard let resolved = ownChannel ?? channel else { throw .missing("channel") }
        self.init(
            channel: resolved,
            position: try object.decode("position"),
            recoverable: try object.bool("recoverable"),
            recovered: try object.optionalBool("recovered"),
            reason: reason,
            missing: try object.optionalDecode("missing"),
            publications: try object.optionalDecodeArray("publications")
        )
        self.more = try object.optionalBool("more") ?? false
    }
}
