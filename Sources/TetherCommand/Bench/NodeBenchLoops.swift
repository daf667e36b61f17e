import NIOCore
import NIOPosix

/// The node bench's event loops and one ``NodeBenchLoopStats`` per loop.
///
/// Handlers record into the stats of their own loop without locks; ``snapshot()`` and ``reset()`` hop to
/// every loop. Control events broadcast before a ``snapshot()`` are handled before it: both are tasks on
/// the same loops, run in submission order.
struct NodeBenchLoops: Sendable {
    let group: MultiThreadedEventLoopGroup
    private let stats: [ObjectIdentifier: NIOLoopBound<NodeBenchLoopStats>]

    private init(group: MultiThreadedEventLoopGroup, stats: [ObjectIdentifier: NIOLoopBound<NodeBenchLoopStats>]) {
        self.group = group
        self.stats = stats
    }

    static func start(threads: Int) async throws -> NodeBenchLoops {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        var stats: [ObjectIdentifier: NIOLoopBound<NodeBenchLoopStats>] = [:]
        for loop in group.makeIterator() {
            stats[ObjectIdentifier(loop)] = try await loop.submit { NIOLoopBound(NodeBenchLoopStats(), eventLoop: loop) }.get()
        }
        return NodeBenchLoops(group: group, stats: stats)
    }

    /// The statistics of `loop`. Must be called on `loop`.
    func stats(on loop: EventLoop) -> NodeBenchLoopStats {
        self.stats[ObjectIdentifier(loop)]!.value
    }

    func snapshot() async throws -> NodeBenchSnapshot {
        var total = NodeBenchSnapshot()
        for loop in self.group.makeIterator() {
            let stats = self.stats[ObjectIdentifier(loop)]!
            total.add(try await loop.submit { stats.value.snapshot }.get())
        }
        return total
    }

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
