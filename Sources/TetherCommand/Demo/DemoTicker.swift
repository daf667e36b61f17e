import Foundation
import Logging
import Synchronization
import TetherCore
import TetherProtocol

/// The simulated publisher: publishes `{"seq":N,"text":"tick N","at":MS}` to `demo:ticker` at a fixed rate
/// through `TetherNode.publish` on any node that is running, seq 1, 2, 3, … with no gaps.
///
/// Each tick carries the idempotency key `tick-N`, so when a node dies mid-publish the same tick is
/// retried on another node without being published twice. When no node runs, the ticker waits (it never
/// skips a seq). Threading: run ``run()`` in one task; ``lastSeq`` may be read from any task.
final class DemoTicker: Sendable {
    static let channel = "demo:ticker"

    private let nodes: [DemoNode]
    private let interval: Duration
    private let logger: Logger
    private let published = Mutex<Int>(0)

    init(nodes: [DemoNode], rate: Double, logger: Logger) {
        self.nodes = nodes
        self.interval = .nanoseconds(Int64(1_000_000_000 / max(rate, 0.01)))
        self.logger = logger
    }

    /// The last seq acknowledged by a node (0 before the first).
    var lastSeq: Int { self.published.withLock { $0 } }

    /// Publishes until the task is cancelled.
    func run() async {
        let clock = ContinuousClock()
        var next = clock.now
        var seq = 1
        var attempt = 0
        while !Task.isCancelled {
            let candidates = self.nodes.compactMap(\.node)
            if candidates.isEmpty {
                try? await Task.sleep(for: .milliseconds(200))
                next = clock.now
                continue
            }
            let node = candidates[(seq + attempt) % candidates.count]
            let at = Int64(Date().timeIntervalSince1970 * 1000)
            let data = RawJSON(unchecked: #"{"seq":\#(seq),"text":"tick \#(seq)","at":\#(at)}"#)
            do {
                _ = try await node.publish(channel: Self.channel, data: data, key: "tick-\(seq)")
                self.published.withLock { $0 = seq }
                seq += 1
                attempt = 0
                next = next.advanced(by: self.interval)
                if next < clock.now { next = clock.now }
                try? await Task.sleep(until: next, clock: clock)
            } catch {
                attempt += 1
                self.logger.debug("tick \(seq) failed on \(node.configuration.name); retrying elsewhere", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}
