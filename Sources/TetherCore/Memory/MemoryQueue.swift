/// A FIFO queue on an array with a moving head: O(1) `append`, `first`, `last`, `removeFirst` and
/// positional access. Consumed slots are reclaimed in one move once they are at least half of the
/// storage (and at least 64), so the storage holds at most about twice the live elements; an emptied
/// queue releases its storage.
struct MemoryQueue<Element> {
    private var storage: [Element] = []
    private var head = 0

    var count: Int { self.storage.count - self.head }
    var isEmpty: Bool { self.head == self.storage.count }
    var first: Element? { self.isEmpty ? nil : self.storage[self.head] }
    var last: Element? { self.isEmpty ? nil : self.storage[self.storage.count - 1] }

    /// The element `index` places after the first (0 is the first).
    subscript(index: Int) -> Element { self.storage[self.head + index] }

    mutating func append(_ element: Element) {
        self.storage.append(element)
    }

    @discardableResult
    mutating func removeFirst() -> Element {
        let element = self.storage[self.head]
        self.head += 1
        if self.head == self.storage.count {
            self.storage = []
            self.head = 0
        } else if self.head >= 64, self.head * 2 >= self.storage.count {
            self.storage.removeFirst(self.head)
            self.head = 0
        }
        return element
    }

    mutating func removeAll() {
        self.storage = []
        self.head = 0
    }

    /// Keeps only the elements for which `isIncluded` is true, in order, in fresh storage.
    mutating func filter(_ isIncluded: (Element) -> Bool) {
        var kept: [Element] = []
        kept.reserveCapacity(self.count)
        for index in self.head..<self.storage.count where isIncluded(self.storage[index]) {
            kept.append(self.storage[index])
        }
        self.storage = kept
        self.head = 0
    }
}
