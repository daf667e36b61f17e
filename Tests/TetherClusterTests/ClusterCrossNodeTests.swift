import Testing
import TetherClient
import TetherProtocol

extension ClusterTests {
    /// A publication made through one node reaches a subscriber on another, through Redis.
    @Suite("ClusterTests: cross-node delivery")
    struct CrossNode {
        @Test("a client on node A receives, in order and once each, the 100 publications made on node B")
        func publicationsOnBReachAClientOnA() async throws {
            try await ClusterHarness.run(nodes: 2) { cluster in
                let channel = "cluster:cross"
                let subscriber = try await cluster.subscribe(channel, via: [0])
                let api = cluster.api(1)
                var acknowledged: [PublishResult] = []
                for n in 0..<100 {
                    let ack = try await ClusterTests.publishUntilAcknowledged(api, channel: channel, data: ClusterTests.data(n), key: "cross-\(n)")
                    #expect(ack.failedAttempts == 0, "publish \(n) failed first: \(ack.lastFailure ?? "")")
                    acknowledged.append(ack.result)
                }
                #expect(acknowledged.map(\.position.offset) == Array(1...100))
                #expect(acknowledged.allSatisfy { !$0.duplicate })

                // A sentinel published last: once it has arrived, everything before it has too, so the
                // count below also proves nothing was delivered twice.
                let sentinel = try await ClusterTests.publishUntilAcknowledged(api, channel: channel, data: ClusterTests.data(-7), key: "cross-sentinel")
                #expect(sentinel.result.position.offset == 101)
                do {
                    try await subscriber.waitForPublications(101, within: .seconds(15))
                } catch {
                    Issue.record("\(error)\n\(cluster.diagnostics())")
                    return
                }
                let received = subscriber.publications
                #expect(received.count == 101)
                #expect(received.map(\.number) == Array(0..<100) + [-7])
                #expect(received.map(\.offset) == Array(1...101))
                #expect(Set(received.map(\.epoch)) == [acknowledged[0].position.epoch])
                #expect(subscriber.otherEvents.isEmpty)
                // The subscriber stayed on node A the whole time.
                let nodes = subscriber.states.compactMap { state -> String? in
                    if case .connected(_, _, let node) = state.0 { return node }
                    return nil
                }
                #expect(nodes == ["node-a"])
            }
        }
    }
}
