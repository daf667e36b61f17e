import Testing
import TetherClient
import TetherProtocol

extension ClusterTests {
    /// Concurrent publishers on different nodes: one channel, one total order for every subscriber.
    @Suite("ClusterTests: concurrent publishers")
    struct ConcurrentPublishers {
        static let perPublisher = 200

        @Test("3 nodes, one publisher per node, 200 each at once: subscribers on every node get the same 600 in the same order")
        func everySubscriberSeesOneOrder() async throws {
            try await ClusterHarness.run(nodes: 3) { cluster in
                let channel = "cluster:concurrent"
                var subscribers: [ClusterSubscriber] = []
                for index in 0..<3 {
                    subscribers.append(try await cluster.subscribe(channel, via: [index], user: "watcher-\(index)"))
                }
                let count = Self.perPublisher
                let acknowledged = try await withThrowingTaskGroup(of: [(publisher: Int, n: Int, offset: UInt64, duplicate: Bool)].self) { group in
                    for publisher in 0..<3 {
                        let api = cluster.api(publisher)
                        group.addTask {
                            var acks: [(publisher: Int, n: Int, offset: UInt64, duplicate: Bool)] = []
                            for n in 0..<count {
                                let ack = try await ClusterTests.publishUntilAcknowledged(
                                    api, channel: channel, data: ClusterTests.data(publisher: publisher, n), key: "p\(publisher)-\(n)")
                                acks.append((publisher, n, ack.result.position.offset, ack.result.duplicate))
                            }
                            return acks
                        }
                    }
                    var all: [(publisher: Int, n: Int, offset: UInt64, duplicate: Bool)] = []
                    for try await acks in group { all += acks }
                    return all
                }
                let total = 3 * count
                #expect(acknowledged.count == total)
                #expect(acknowledged.allSatisfy { !$0.duplicate })
                #expect(acknowledged.map(\.offset).sorted() == Array(1...UInt64(total)), "offsets 1…600 with no hole and none twice")
                // Each publisher's own publications got increasing offsets (it waited for every ack).
                for publisher in 0..<3 {
                    let offsets = acknowledged.filter { $0.publisher == publisher }.map(\.offset)
                    #expect(offsets == offsets.sorted(), "publisher \(publisher)'s offsets are not increasing")
                }
                let expected = Dictionary(uniqueKeysWithValues: acknowledged.map { ($0.offset, ClusterTests.data(publisher: $0.publisher, $0.n).text) })

                let sentinel = try await ClusterTests.publishUntilAcknowledged(
                    cluster.api(0), channel: channel, data: ClusterTests.data(publisher: 9, 0), key: "sentinel")
                #expect(sentinel.result.position.offset == UInt64(total + 1))
                var sequences: [[String]] = []
                for subscriber in subscribers {
                    do {
                        try await subscriber.waitForPublications(total + 1, within: .seconds(20))
                    } catch {
                        Issue.record("\(error)\n\(cluster.diagnostics())")
                        return
                    }
                    let received = subscriber.publications
                    #expect(received.count == total + 1, "\(subscriber.label): \(received.count) publications")
                    #expect(received.map(\.offset) == Array(1...UInt64(total + 1)), "\(subscriber.label): offsets out of order")
                    #expect(Set(received.map(\.epoch)) == [sentinel.result.position.epoch])
                    #expect(subscriber.otherEvents.isEmpty, "\(subscriber.label): \(subscriber.otherEvents)")
                    // Every offset carries what its publisher was told it got.
                    let mismatches = received.dropLast().filter { expected[$0.offset] != $0.data.text }
                    #expect(mismatches.isEmpty, "\(subscriber.label): \(mismatches.count) offsets carry other data, first \(mismatches.first.map { "\($0.offset): \($0.data.text)" } ?? "")")
                    for publisher in 0..<3 {
                        let numbers = received.filter { $0.publisher == publisher }.map(\.number)
                        #expect(numbers == Array(0..<count), "\(subscriber.label): publisher \(publisher)'s publications out of order")
                    }
                    sequences.append(received.map { "\($0.offset) \($0.data.text)" })
                }
                #expect(sequences.count == 3)
                #expect(sequences.allSatisfy { $0 == sequences[0] }, "the three subscribers saw different sequences")
            }
        }
    }
}
