import NIOCore
import NIOPosix

/// Per-event-loop statistics of a load generator: one instance per loop, touched only by that loop's
/// handlers, combined by ``BenchLoops``.
protocol BenchLoopStatistics: AnyObject, SendableMetatype {
    associatedtype Snapshot: BenchCombinable
    init()
    var snapshot: Snapshot { get }
    func reset()
}

/// A snapshot that sums with others of its kind.
protocol BenchCombinable: Sendable {
    init()
    mutating func add(_ other: Self)
}

/// A load generator's event loops and one `Stats` per loop.
///
/// Handlers record into the stats of their own loop without locks; ``snapshot()`` and ``reset()`` hop to
/// every loop and combine the results. Control events broadcast before a ``snapshot()`` are handled before
/// it: both are tasks on the same loops, run in submission order.
struct BenchEventLoops<Stats: BenchLoopStatistics>: Sendable {
    let group: MultiThreadedEventLoopGroup
    private let stats: [ObjectIdentifier: NIOLoopBound<Stats>]

    private init(group: MultiThreadedEventLoopGroup, stats: [ObjectIdentifier: NIOLoopBound<Stats>]) {
        self.group = group
        self.stats = stats
    }

    /// Starts `threads` event loops with empty statistics.
    static func start(threads: Int) async throws -> Self {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        var stats: [ObjectIdentifier: NIOLoopBound<Stats>] = [:]
        for loop in group.makeIterator() {
            stats[ObjectIdentifier(loop)] = try await loop.submit { NIOLoopBound(Stats(), eventLoop: loop) }.get()
        }
        return Self(group: group, stats: stats)
    }

    /// The statistics of `loop`. Must be called on `loop`.
    func stats(on loop: EventLoop) -> Stats {
        self.stats[ObjectIdentifier(loop)]!.value
    }

    /// All loops' statistics combined.
    func snapshot() async throws -> Stats.Snapshot {
        var total = Stats.Snapshot()
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

/// The echo/idle generator's loops.
typealias BenchLoops = BenchEventLoops<BenchLoopStats>
/// The node generator's loops.
typealias NodeBenchLoops = BenchEventLoops<NodeBenchLoopStats>

extension BenchLoopStats: BenchLoopStatistics {}
extension BenchSnapshot: BenchCombinable {}
extension NodeBenchLoopStats: BenchLoopStatistics {}
extension NodeBenchSnapshot: BenchCombinable {}
