/// One publication of a channel as history and fan-out carry it. The channel and epoch are known from
/// context (the stream it was read from), so they are not repeated here.
public struct Publication: Sendable, Hashable {
    /// Offset in the channel's stream (1-based, no holes within an epoch).
    public var offset: UInt64
    /// The published JSON value.
    public var data: RawJSON
    /// The publishing connection (client publishes only; `data` is not carried here).
    public var info: ClientInfo?

    public init(offset: UInt64, data: RawJSON, info: ClientInfo? = nil) {
        self.offset = offset
        self.data = data
        self.info = info
    }
}
