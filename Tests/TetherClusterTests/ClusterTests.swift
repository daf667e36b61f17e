import Testing
import TetherProtocol

/// Multi-process cluster tests (issue 4, "Multi-node tests"): `tether node` processes on one real
/// `redis-server`, driven through the server API and ``TetherClient``. The nested suites run one at a time
/// (each starts its own Redis and nodes; on two cores, parallel clusters would distort the timings).
@Suite("ClusterTests", .serialized, .timeLimit(.minutes(2)))
struct ClusterTests {
    /// `{"n":N}`.
    static func data(_ n: Int) -> RawJSON { RawJSON(unchecked: "{\"n\":\(n)}") }

    /// `{"p":P,"n":N}`.
    static func data(publisher: Int, _ n: Int) -> RawJSON { RawJSON(unchecked: "{\"p\":\(publisher),\"n\":\(n)}") }

    /// The outcome of ``publishUntilAcknowledged(_:channel:data:key:within:)``.
    struct Acknowledged: Sendable {
        var result: PublishResult
        /// Attempts that failed first (temporary refusals and transport errors).
        var failedAttempts: Int
        var lastFailure: String?
    }

    struct PublishFailed: Error, CustomStringConvertible {
        var description: String
    }

    /// Publishes through the server API, retrying with the same idempotency `key` after a temporary
    /// refusal (`114`, HTTP 503) or a transport error, every 20 ms, until acknowledged or `limit` has passed.
    /// A permanent refusal fails at once. `onFailure` is told of each failed attempt as it happens.
    static func publishUntilAcknowledged(
        _ api: ServerAPIClient, channel: String, data: RawJSON, key: String, within limit: Duration = .seconds(15),
        onFailure: @Sendable (String) -> Void = { _ in }
    ) async throws -> Acknowledged {
        let deadline = ContinuousClock.now + limit
        var failures = 0
        var lastFailure: String?
        while true {
            do {
                switch try await api.publish(channel: channel, data: data, key: key) {
                case .published(let result):
                    return Acknowledged(result: result, failedAttempts: failures, lastFailure: lastFailure)
                case .refused(let status, let code, let temporary, let message):
                    guard temporary else {
                        throw PublishFailed(description: "publish \(key) refused: HTTP \(status), code \(code.map(String.init) ?? "-"): \(message)")
                    }
                    lastFailure = "HTTP \(status) code \(code.map(String.init) ?? "-"): \(message)"
                }
            } catch let error as ServerAPIClient.TransportError {
                lastFailure = error.description
            }
            failures += 1
            onFailure(lastFailure ?? "")
            guard ContinuousClock.now < deadline else {
                throw PublishFailed(description: "publish \(key) not acknowledged within \(limit) (\(failures) attempts; last: \(lastFailure ?? "-"))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// `duration` in milliseconds, to a tenth.
    /// Checks that `subscriber` got publications 0..<total (data `n`) and then the sentinel (-1), each exactly
    /// once, in order, at offsets 1…total+1 of `epoch`, with no gap or other event. Returns what it received
    /// and the lost and duplicated counts (for the test's report line).
    static func expectExactlyOnceInOrder(
        _ subscriber: ClusterSubscriber, total: Int, epoch: String, sourceLocation: SourceLocation = #_sourceLocation
    ) -> (received: [ClusterSubscriber.Received], lost: Int, duplicated: Int) {
        let received = subscriber.publications
        let numbers = received.map(\.number)
        let lost = Set(0..<total).subtracting(numbers).count
        let duplicated = numbers.count - Set(numbers).count
        #expect(lost == 0, sourceLocation: sourceLocation)
        #expect(duplicated == 0, sourceLocation: sourceLocation)
        #expect(numbers == Array(0..<total) + [-1], "not every acknowledged publication exactly once, in order", sourceLocation: sourceLocation)
        #expect(received.map(\.offset) == Array(1...UInt64(total + 1)), sourceLocation: sourceLocation)
        #expect(Set(received.map(\.epoch)) == [epoch], sourceLocation: sourceLocation)
        #expect(subscriber.otherEvents.isEmpty, "gaps or other events: \(subscriber.otherEvents)", sourceLocation: sourceLocation)
        return (received, lost, duplicated)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return (ms * 10).rounded() / 10
    }
}
