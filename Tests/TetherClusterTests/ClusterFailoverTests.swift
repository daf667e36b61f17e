import Synchronization
import Testing
import TetherClient
import TetherProtocol

extension ClusterTests {
    /// A node killed with SIGKILL: its client resumes its session on another node.
    @Suite("ClusterTests: kill -9 failover")
    struct Failover {
        static let total = 150
        static let interval = Duration.milliseconds(20)  // 50 publications per second
        static let killAfter = 50

        @Test("node A is killed with SIGKILL mid-stream: the client resumes on node B with nothing lost and nothing duplicated")
        func clientResumesOnAnotherNodeAfterKill() async throws {
            try await ClusterHarness.run(nodes: 2) { cluster in
                let channel = "cluster:failover"
                let subscriber = try await cluster.subscribe(channel, via: [0, 1], user: "survivor")
                let api = cluster.api(1)
                let total = Self.total
                let interval = Self.interval

                // 50/s through node B's server API, each with its own idempotency key, retried if refused.
                let publisher = Task { () throws -> [ClusterTests.Acknowledged] in
                    var acks: [ClusterTests.Acknowledged] = []
                    let start = ContinuousClock.now
                    for n in 0..<total {
                        try await Task.sleep(until: start + interval * n)
                        acks.append(try await ClusterTests.publishUntilAcknowledged(
                            api, channel: channel, data: ClusterTests.data(n), key: "failover-\(n)"))
                    }
                    return acks
                }
                defer { publisher.cancel() }

                do {
                    try await subscriber.waitForPublications(Self.killAfter, within: .seconds(15))
                } catch {
                    Issue.record("\(error)\n\(cluster.diagnostics())")
                    return
                }
                let killedAt = ContinuousClock.now
                cluster.node(0).kill()

                let acks = try await publisher.value
                #expect(acks.map(\.result.position.offset) == Array(1...UInt64(total)))
                #expect(acks.allSatisfy { !$0.result.duplicate })
                let sentinel = try await ClusterTests.publishUntilAcknowledged(api, channel: channel, data: ClusterTests.data(-1), key: "failover-sentinel")
                #expect(sentinel.result.position.offset == UInt64(total + 1))
                do {
                    try await subscriber.waitForPublications(total + 1, within: .seconds(15))
                } catch {
                    Issue.record("\(error)\n\(cluster.diagnostics())")
                    return
                }

                let (received, lost, duplicated) = ClusterTests.expectExactlyOnceInOrder(
                    subscriber, total: total, epoch: sentinel.result.position.epoch
                )

                // Connected to node A, then (after the kill) to node B with the same session: resumed.
                let states = subscriber.states
                let connections = states.compactMap { entry -> (session: String, node: String, at: ContinuousClock.Instant)? in
                    if case .connected(_, let session, let node) = entry.0 { return (session, node, entry.1) }
                    return nil
                }
                #expect(connections.map(\.node) == ["node-a", "node-b"])
                #expect(Set(connections.map(\.session)).count == 1, "the session was not resumed: \(connections.map(\.session))")
                guard let resumed = connections.first(where: { $0.node == "node-b" }),
                    let lostAt = states.first(where: { entry in
                        if case .disconnected = entry.0 { return entry.1 >= killedAt }
                        return false
                    })?.1
                else {
                    Issue.record("no disconnect and resume on node-b in \(states.map(\.0))")
                    return
                }
                #expect(resumed.at > killedAt)
                // Anything received once the client saw its connection to A drop came through node B (the
                // recovered publications of the connect reply come just before the `connected` state).
                let receivedBeforeLoss = received.filter { $0.at < lostAt }
                guard let firstAfter = received.first(where: { $0.at >= lostAt }) else {
                    Issue.record("no publication arrived after the resume")
                    return
                }
                #expect(firstAfter.offset == (receivedBeforeLoss.last?.offset ?? 0) + 1)
                let detected = ClusterTests.milliseconds(lostAt - killedAt)
                let reconnect = ClusterTests.milliseconds(resumed.at - killedAt)
                let timeToResume = ClusterTests.milliseconds(firstAfter.at - killedAt)
                print(
                    "cluster kill -9: \(total) acknowledged, \(received.count - 1) delivered, lost \(lost), duplicated \(duplicated); "
                        + "after SIGKILL: connection loss seen at \(detected) ms, session resumed on node-b at \(reconnect) ms, "
                        + "first publication through node-b (offset \(firstAfter.offset)) at \(timeToResume) ms (time to resume)")
                #expect(firstAfter.at - killedAt < .seconds(5), "time to resume \(timeToResume) ms")
            }
        }
    }
}
