/// A place in one channel's stream: "everything up to and including `offset` of `epoch`".
///
/// Offsets start at 1 and grow by one per publication with no holes; offset 0 means "nothing yet". The
/// epoch names one incarnation of the channel's history: offsets of different epochs are not comparable
/// (docs/protocol.md, section 2).
public struct StreamPosition: Sendable, Hashable, CustomStringConvertible {
    public var offset: UInt64
    public var epoch: String

    public init(offset: UInt64, epoch: String) {
        self.offset = offset
        self.epoch = epoch
    }

    public var description: String { "\(self.offset)@\(self.epoch)" }
}
