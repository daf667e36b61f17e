/// A set of `UInt64` values (offsets, sequence numbers) held as sorted, disjoint, non-adjacent closed
/// ranges, so a run of consecutive values costs one range however long it is.
///
/// `tether bench failover` keeps one per client and epoch (offsets received), one per client (sequence
/// numbers received) and one per channel and epoch (offsets acknowledged): values mostly arrive in order,
/// which appends to or extends the last range in O(1); others cost a binary search and an array insert.
/// Value type; not shared.
struct NodeFailoverOffsetSet: Sendable, Equatable {
    /// The ranges, ascending; two ranges never touch (`a.upperBound + 1 < b.lowerBound`).
    private(set) var ranges: [ClosedRange<UInt64>] = []

    init() {}

    init(_ values: some Sequence<UInt64>) {
        for value in values { self.insert(value) }
    }

    /// How many values the set holds.
    var count: Int {
        self.ranges.reduce(0) { $0 + Int($1.upperBound - $1.lowerBound) + 1 }
    }

    var isEmpty: Bool { self.ranges.isEmpty }

    /// The largest value, nil when empty.
    var max: UInt64? { self.ranges.last?.upperBound }

    func contains(_ value: UInt64) -> Bool {
        guard let index = self.lastRange(atOrBelow: value) else { return false }
        return self.ranges[index].contains(value)
    }

    /// Adds `value`; returns false when it was already there.
    @discardableResult
    mutating func insert(_ value: UInt64) -> Bool {
        // Fast path: at or just past the end.
        if let last = self.ranges.last {
            if value > last.upperBound {
                if value == last.upperBound + 1 {
                    self.ranges[self.ranges.count - 1] = last.lowerBound...value
                } else {
                    self.ranges.append(value...value)
                }
                return true
            }
        } else {
            self.ranges.append(value...value)
            return true
        }
        let below = self.lastRange(atOrBelow: value)
        if let below, self.ranges[below].contains(value) { return false }
        let next = (below ?? -1) + 1  // the first range above `value` (exists: value < last.upperBound)
        let joinsBelow = below.map { self.ranges[$0].upperBound + 1 == value } ?? false
        let joinsNext = self.ranges[next].lowerBound == value + 1
        switch (joinsBelow, joinsNext) {
        case (true, true):
            self.ranges[below!] = self.ranges[below!].lowerBound...self.ranges[next].upperBound
            self.ranges.remove(at: next)
        case (true, false):
            self.ranges[below!] = self.ranges[below!].lowerBound...value
        case (false, true):
            self.ranges[next] = value...self.ranges[next].upperBound
        case (false, false):
            self.ranges.insert(value...value, at: next)
        }
        return true
    }

    /// The values in both sets.
    func intersection(_ other: NodeFailoverOffsetSet) -> NodeFailoverOffsetSet {
        var result = NodeFailoverOffsetSet()
        var i = 0
        var j = 0
        while i < self.ranges.count, j < other.ranges.count {
            let a = self.ranges[i]
            let b = other.ranges[j]
            let low = Swift.max(a.lowerBound, b.lowerBound)
            let high = Swift.min(a.upperBound, b.upperBound)
            if low <= high { result.ranges.append(low...high) }
            if a.upperBound < b.upperBound { i += 1 } else { j += 1 }
        }
        return result
    }

    /// The index of the last range whose lower bound is at most `value`.
    private func lastRange(atOrBelow value: UInt64) -> Int? {
        var low = 0
        var high = self.ranges.count
        while low < high {
            let middle = (low + high) / 2
            if self.ranges[middle].lowerBound <= value { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : low - 1
    }
}
