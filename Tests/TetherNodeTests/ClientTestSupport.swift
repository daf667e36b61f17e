import Synchronization
import TetherClient
import TetherProtocol

/// Helpers for the live client tests: bounded waits on subscriptions and connection states.
enum ClientTestSupport {
    struct TimedOut: Error, CustomStringConvertible {
        var what: String
        var description: String { "timed out waiting for \(self.what)" }
    }

    /// Runs `body`, failing with ``TimedOut`` after `limit`.
    static func within<T: Sendable>(
        _ limit: Duration,
        _ what: String,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw TimedOut(what: what)
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// The next `count` events of `subscription` (bounded by `limit`; a timeout says how many came and the last).
    static func next(
        _ count: Int,
        of subscription: Subscription,
        within limit: Duration = .seconds(10)
    ) async throws -> [SubscriptionEvent] {
        let collected = Mutex<[SubscriptionEvent]>([])
        do {
            return try await Self.within(limit, "\(count) events on \(subscription.channel)") {
                var iterator = subscription.makeAsyncIterator()
                while collected.withLock({ $0.count }) < count, let event = try await iterator.next() {
                    collected.withLock { $0.append(event) }
                }
                return collected.withLock { $0 }
            }
        } catch let timeout as TimedOut {
            let (got, last) = collected.withLock { ($0.count, $0.last) }
            let position = String(describing: subscription.position)
            throw TimedOut(what: "\(timeout.what) (got \(got), position \(position), last \(String(describing: last).prefix(120)))")
        }
    }

    /// Whether `condition` became true within `limit` (checked every 10 ms; for conditions nothing signals).
    static func eventually(within limit: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while !condition() {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Waits until `states` yields a state matching `predicate`.
    static func wait(
        for what: String,
        in states: AsyncStream<ConnectionState>,
        within limit: Duration = .seconds(10),
        _ predicate: @escaping @Sendable (ConnectionState) -> Bool
    ) async throws -> ConnectionState {
        try await Self.within(limit, what) {
            for await state in states where predicate(state) { return state }
            throw TimedOut(what: "\(what) (stream ended)")
        }
    }

    /// The publications' `n` numbers in `events` (data `{"n":N}`), and whether anything else was seen.
    static func numbers(_ events: [SubscriptionEvent]) -> [Int] {
        events.map { event -> Int in
            guard case .publication(let publication, _) = event,
                let n = (try? publication.data.parsed())?["n"]?.intValue
            else { return -1 }
            return n
        }
    }

    static func offsets(_ events: [SubscriptionEvent]) -> [UInt64] {
        events.map { event -> UInt64 in
            guard case .publication(let publication, _) = event else { return 0 }
            return publication.offset
        }
    }

    static func data(_ n: Int) -> RawJSON {
        RawJSON(unchecked: "{\"n\":\(n)}")
    }

    /// A URL nothing listens on (connection refused at once).
    static let deadURL = "ws://127.0.0.1:1/connection/websocket"

    static let fastBackoff = Backoff(min: .milliseconds(20), max: .milliseconds(200))
}

/// A URL the test can switch, for clients built with a URL provider.
final class ClientURLBox: Sendable {
    private let url: Mutex<String>

    init(_ url: String) {
        self.url = Mutex(url)
    }

    var value: String {
        get { self.url.withLock { $0 } }
        set { self.url.withLock { $0 = newValue } }
    }
}
