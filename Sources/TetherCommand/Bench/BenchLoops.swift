import NIOCore
import NIOPosix

/// The load generator's event loops and one ``BenchLoopStats`` per loop.
///
/// Handlers record into the stats of their own loop without locks; ``snapshot()`` and ``reset()`` hop to
/// every loop and combine the results.
struct BenchLoops: Sendable {
    let group: MultiThreadedEventLoopGroup
    private let stats: [ObjectIdentifier: NIOLoopBound<BenchLoopStats>]

    private init(group: MultiThreadedEventLoopGroup, stats: [ObjectIdentifier: NIOLoopBound<BenchLoopStats>]) {
        self.group = group
        self.stats = stats
    }

    /// Starts `threads` event loops with empty statistics.
    static func start(threads: Int) async throws -> BenchLoops {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        var stats: [ObjectIdentifier: NIOLoopBound<BenchLoopStats>] = [:]
        for loop in group.makeIterator() {
            stats[ObjectIdentifier(loop)] = try await loop.submit { NIOLoopBound(BenchLoopStats(), eventLoop: loop) }.get()
        }
        return BenchLoops(group: group, stats: stats)
    }

    /// The statistics of `loop`. Must be called on `loop`.
    func stats(on loop: EventLoop) -> BenchLoopStats {
        self.stats[ObjectIdentifier(loop)]!.value
    }

    /// All loops' statistics combined.
    func snapshot() async throws -> BenchSnapshot {
        var total = BenchSnapshot()
        for loop in self.group.makeIterator() {
            let stats = self.stats[ObjectIdentifier(loop)]!
            total.add(try await loop.submit { stats.value.snapshot }.get())
        }
        return total
    }

    /// Clears every loop's statistics (end of warm-up).
    func reset() async throws {
        for loop in self.group.makeIterator() {
            let stats = self.stats[ObjectIdentifier(loop)]!
            try await loop.submit { stats.value.reset() }.get()
        }
    }

    func shutdown() async {
        try? await self.group.shutdownGracefully()
    }
}
