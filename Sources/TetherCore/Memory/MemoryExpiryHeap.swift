/// A binary min-heap of (deadline, key) pairs: the memory engine's schedule of when to look at an
/// entry again.
///
/// Entries are hints, not truth: an owner keeps at most one *current* entry per key (it remembers the
/// deadline it scheduled) and ignores popped entries whose deadline is not the current one. That
/// lets a key be rescheduled without searching the heap.
struct MemoryExpiryHeap<Key> {
    private var items: [(deadline: Int64, key: Key)] = []

    var count: Int { self.items.count }

    mutating func push(deadline: Int64, key: Key) {
        self.items.append((deadline, key))
        var child = self.items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard self.items[child].deadline < self.items[parent].deadline else { break }
            self.items.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if its deadline is at or before `now`.
    mutating func popDue(now: Int64) -> (deadline: Int64, key: Key)? {
        guard let top = self.items.first, top.deadline <= now else { return nil }
        let last = self.items.removeLast()
        if !self.items.isEmpty {
            self.items[0] = last
            self.siftDown(from: 0)
        }
        if self.items.capacity > 1024, self.items.count * 4 < self.items.capacity {
            self.items = Array(self.items)
        }
        return top
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        let count = self.items.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            var smallest = left
            let right = left + 1
            if right < count, self.items[right].deadline < self.items[left].deadline {
                smallest = right
            }
            guard self.items[smallest].deadline < self.items[parent].deadline else { return }
            self.items.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
