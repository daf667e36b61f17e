import Synchronization
import Testing
import TetherClient
import TetherProtocol
import TetherTesting

extension ClusterTests {
    /// Redis stopped and restarted mid-stream (AOF with `appendfsync always`): nothing acknowledged is lost.
    @Suite("ClusterTests: Redis restart")
    struct RedisRestart {
        static let total = 150
        static let interval = Duration.milliseconds(20)
        static let restartAfter = 50

        /// How Redis goes down.
        enum Stop: String, Sendable, CaseIterable, CustomTestStringConvertible {
            case sigterm = "SIGTERM"
            case sigkill = "SIGKILL"
            var testDescription: String { self.rawValue }
        }

        @Test(
            "Redis stopped (SIGTERM, or SIGKILL) and restarted mid-stream: publishes fail while it is down and are retried with their key; the subscriber gets every acknowledged publication once, in order",
            arguments: Stop.allCases)
        func noAcknowledgedPublicationIsLost(stop: Stop) async throws {
            try await ClusterHarness.run(nodes: 2, redis: RedisServerProcess.Options(appendOnly: true)) { cluster in
                let channel = "cluster:restart"
                let subscriber = try await cluster.subscribe(channel, via: [0], user: "patient")
                let api = cluster.api(1)
                let total = Self.total
                let interval = Self.interval
                let failedAttempts = Mutex(0)
                let firstFailure = Mutex<String?>(nil)

                let publisher = Task { () throws -> [ClusterTests.Acknowledged] in
                    var acks: [ClusterTests.Acknowledged] = []
                    let start = ContinuousClock.now
                    for n in 0..<total {
                        try await Task.sleep(until: start + interval * n)
                        let ack = try await ClusterTests.publishUntilAcknowledged(
                            api, channel: channel, data: ClusterTests.data(n), key: "restart-\(n)", within: .seconds(20)
                        ) { failure in
                            failedAttempts.withLock { $0 += 1 }
                            firstFailure.withLock { $0 = $0 ?? failure }
                        }
                        acks.append(ack)
                    }
                    return acks
                }
                defer { publisher.cancel() }

                do {
                    try await subscriber.waitForPublications(Self.restartAfter, within: .seconds(15))
                } catch {
                    Issue.record("\(error)\n\(cluster.diagnostics())")
                    return
                }
                let stoppedAt = ContinuousClock.now
                switch stop {
                case .sigterm: await cluster.redis.stop()
                case .sigkill: await cluster.redis.kill()
                }
                // Keep Redis down until publishes have been refused (bounded), so the outage is real.
                let deadline = ContinuousClock.now + .seconds(5)
                while failedAttempts.withLock({ $0 }) < 5 && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                let refusedWhileDown = failedAttempts.withLock { $0 }
                try await cluster.redis.restart()
                let outage = ContinuousClock.now - stoppedAt

                let acks = try await publisher.value
                #expect(refusedWhileDown >= 5, "only \(refusedWhileDown) publish attempts failed while Redis was down")
                #expect(acks.map(\.result.position.offset) == Array(1...UInt64(total)), "each publication has its own offset, in publish order")
                let sentinel = try await ClusterTests.publishUntilAcknowledged(api, channel: channel, data: ClusterTests.data(-1), key: "restart-sentinel")
                #expect(sentinel.result.position.offset == UInt64(total + 1))
                #expect(sentinel.result.position.epoch == acks[0].result.position.epoch, "the epoch changed: Redis lost the data")
                do {
                    try await subscriber.waitForPublications(total + 1, within: .seconds(20))
                } catch {
                    Issue.record("\(error)\n\(cluster.diagnostics())")
                    return
                }
                let (received, lost, duplicated) = ClusterTests.expectExactlyOnceInOrder(
                    subscriber, total: total, epoch: sentinel.result.position.epoch
                )
                let retried = acks.filter { $0.failedAttempts > 0 }
                print(
                    "cluster redis restart (\(stop.rawValue)): outage \(ClusterTests.milliseconds(outage)) ms, \(retried.count) publications retried "
                        + "(\(failedAttempts.withLock { $0 }) failed attempts, first: \(firstFailure.withLock { $0 } ?? "-"); \(acks.filter(\.result.duplicate).count) acknowledged as duplicates), "
                        + "\(received.count - 1)/\(total) delivered, lost \(lost), duplicated \(duplicated)")
            }
        }
    }
}
