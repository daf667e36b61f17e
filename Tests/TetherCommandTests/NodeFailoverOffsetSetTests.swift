import Testing

@testable import TetherCommand

@Suite struct NodeFailoverOffsetSetTests {
    /// `set.insert(value)` outside `#expect` (which cannot call mutating members).
    func insert(_ value: UInt64, into set: inout NodeFailoverOffsetSet) -> Bool {
        set.insert(value)
    }

    @Test func valuesInOrderMakeOneRange() {
        var set = NodeFailoverOffsetSet()
        for value in UInt64(1)...1000 {
            let inserted = set.insert(value)
            #expect(inserted)
        }
        #expect(set.ranges == [1...1000])
        #expect(set.count == 1000)
        #expect(set.max == 1000)
    }

    @Test func insertReportsRepeatsAndMergesNeighbours() {
        var set = NodeFailoverOffsetSet([1, 2, 5, 9, 10])
        #expect(set.ranges == [1...2, 5...5, 9...10])
        #expect(insert(5, into: &set) == false)
        #expect(insert(10, into: &set) == false)
        #expect(insert(4, into: &set) == true)
        #expect(set.ranges == [1...2, 4...5, 9...10])
        #expect(insert(3, into: &set) == true)
        #expect(set.ranges == [1...5, 9...10])
        #expect(insert(7, into: &set) == true)
        #expect(set.ranges == [1...5, 7...7, 9...10])
        #expect(insert(8, into: &set) == true)
        #expect(insert(0, into: &set) == true)
        #expect(set.ranges == [0...5, 7...10])
        #expect(set.count == 10)
        #expect(set.contains(7) && !set.contains(6) && !set.contains(11))
    }

    @Test func randomInsertsMatchASet() {
        var generator = SystemRandomNumberGenerator()
        var set = NodeFailoverOffsetSet()
        var reference = Set<UInt64>()
        for _ in 0..<2000 {
            let value = UInt64.random(in: 0...300, using: &generator)
            let inserted = set.insert(value)
            #expect(inserted == reference.insert(value).inserted)
        }
        #expect(set.count == reference.count)
        for value in UInt64(0)...301 { #expect(set.contains(value) == reference.contains(value)) }
        for (a, b) in zip(set.ranges, set.ranges.dropFirst()) { #expect(a.upperBound + 1 < b.lowerBound) }
    }

    @Test func intersection() {
        let a = NodeFailoverOffsetSet(Array(1...10) + Array(20...30))
        let b = NodeFailoverOffsetSet(Array(5...22) + [25, 40])
        #expect(a.intersection(b).ranges == [5...10, 20...22, 25...25])
        #expect(a.intersection(b).count == 10)
        #expect(a.intersection(NodeFailoverOffsetSet()).isEmpty)
        #expect(a.intersection(a) == a)
    }
}
