/// One subscriber's bookkeeping of a channel's offsets: what arrived in order, late, twice, or not at all.
///
/// Starts at the subscription's position (`start`: pushes continue at `start + 1`, docs/protocol.md §3).
/// An offset above the next expected one opens a hole (its offsets are held as missing, at most
/// ``maxMissing`` of them; beyond that they count as lost at once); an offset that fills a hole is *out of
/// order*; an offset at or below the highest seen that is not missing is a *duplicate*. ``finish(lastPublished:)``
/// turns the remaining holes and the unreceived tail into the final loss count. Value type; not shared.
struct NodeOffsetTracker: Sendable {
    /// What ``record(_:)`` made of an offset.
    enum Outcome: Equatable, Sendable {
        case inOrder
        /// Arrived after a hole of `skipped` offsets.
        case afterGap(skipped: Int64)
        /// Filled a hole.
        case outOfOrder
        case duplicate
    }

    static let maxMissing = 100_000

    /// The highest offset received (or the start position).
    private(set) var highest: Int64
    private var missing: Set<Int64> = []
    /// Offsets given up on because ``maxMissing`` holes were already held.
    private var overflow: Int64 = 0
    private(set) var received = 0
    private(set) var outOfOrder = 0
    private(set) var duplicates = 0

    init(start: Int64) {
        self.highest = start
    }

    mutating func record(_ offset: Int64) -> Outcome {
        self.received += 1
        if offset == self.highest + 1 {
            self.highest = offset
            return .inOrder
        }
        if offset > self.highest {
            let skipped = offset - self.highest - 1
            var hole = self.highest + 1
            while hole < offset {
                if self.missing.count < Self.maxMissing {
                    self.missing.insert(hole)
                } else {
                    self.overflow += offset - hole
                    break
                }
                hole += 1
            }
            self.highest = offset
            return .afterGap(skipped: skipped)
        }
        if self.missing.remove(offset) != nil {
            self.outOfOrder += 1
            return .outOfOrder
        }
        self.duplicates += 1
        return .duplicate
    }

    /// Offsets still missing below ``highest``.
    var holes: Int64 { Int64(self.missing.count) + self.overflow }

    /// Publications up to `lastPublished` never received: the holes plus the tail after ``highest``.
    func lost(lastPublished: Int64) -> Int64 {
        self.holes + max(0, lastPublished - self.highest)
    }
}
