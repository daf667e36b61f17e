import Synchronization
import TetherClient
import TetherProtocol

/// A ``TetherClient`` subscribed to one channel, recording every event and connection state with the time
/// it arrived, so a test can wait for a number of publications and then check the whole sequence.
///
/// Two tasks consume the subscription and the client's states for as long as the client runs; ``close()``
/// disconnects the client and waits for both. Waiting (``waitForPublications(_:within:)``) is woken by
/// arrivals, bounded by a deadline, and fails with what was received so far. Thread-safe.
final class ClusterSubscriber: Sendable {
    /// One publication as the application saw it.
    struct Received: Sendable {
        var offset: UInt64
        var epoch: String
        var data: RawJSON
        var at: ContinuousClock.Instant

        /// The `n` field of `{"n":…}` data (-1 if there is none).
        var number: Int { (try? self.data.parsed())?["n"]?.intValue ?? -1 }
        /// The `p` field of `{"p":…,"n":…}` data (-1 if there is none).
        var publisher: Int { (try? self.data.parsed())?["p"]?.intValue ?? -1 }
    }

    struct TimedOut: Error, CustomStringConvertible {
        var description: String
    }

    private struct State {
        var publications: [Received] = []
        var otherEvents: [SubscriptionEvent] = []
        var states: [(ConnectionState, ContinuousClock.Instant)] = []
        var ended: (any Error)?? = nil
        var nextWaiter = 0
        var waiters: [Int: (count: Int, continuation: CheckedContinuation<Void, Never>)] = [:]
    }

    let client: TetherClient
    let subscription: Subscription
    let label: String
    private let state = Mutex(State())
    private let tasks = Mutex<[Task<Void, Never>]>([])

    private init(client: TetherClient, subscription: Subscription, label: String) {
        self.client = client
        self.subscription = subscription
        self.label = label
    }

    /// Connects a client for `user` (failing over between `urls`, in order) and subscribes to `channel`
    /// (from the channel's current position).
    static func start(label: String, urls: [String], channel: String, user: String) async throws -> ClusterSubscriber {
        let configuration = TetherClient.Configuration(
            token: try await ClusterTokens.token(user: user),
            backoff: Backoff(min: .milliseconds(20), max: .milliseconds(200)),
            name: label
        )
        let client = TetherClient(urls: urls, configuration: configuration)
        let states = client.states
        try await client.connect()
        let subscription: Subscription
        do {
            subscription = try await client.subscribe(channel)
        } catch {
            await client.disconnect()
            throw error
        }
        let subscriber = ClusterSubscriber(client: client, subscription: subscription, label: label)
        let events = Task { await subscriber.consumeEvents() }
        let watcher = Task { await subscriber.consumeStates(states) }
        subscriber.tasks.withLock { $0 = [events, watcher] }
        return subscriber
    }

    /// Every publication received so far, in arrival order.
    var publications: [Received] { self.state.withLock { $0.publications } }

    /// Events other than publications (gaps, join, leave) received so far.
    var otherEvents: [SubscriptionEvent] { self.state.withLock { $0.otherEvents } }

    /// Connection states with the time each was reported, the first being the state at subscription time.
    var states: [(ConnectionState, ContinuousClock.Instant)] { self.state.withLock { $0.states } }

    /// Waits until at least `count` publications have arrived; throws ``TimedOut`` (saying how many came,
    /// the last offsets and the subscription's end, if it ended) after `limit`.
    func waitForPublications(_ count: Int, within limit: Duration) async throws {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.arrival(of: count) }
                group.addTask {
                    try await Task.sleep(for: limit)
                    throw TimedOut(description: "")
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        } catch is TimedOut {
            throw TimedOut(description: "\(self.label): \(self.progress) after waiting \(limit) for \(count)")
        }
        if let ended = self.state.withLock({ $0.ended }), self.publications.count < count {
            throw TimedOut(description: "\(self.label): the subscription ended (\(String(describing: ended))) with \(self.progress), expected \(count)")
        }
    }

    /// How many publications came, the last few offsets, other events and the connection state.
    var progress: String {
        self.state.withLock { state in
            let tail = state.publications.suffix(5).map { "\($0.offset)" }.joined(separator: ",")
            let last = state.states.last.map { String(describing: $0.0) } ?? "?"
            return "\(state.publications.count) publications (last offsets \(tail)), other events \(state.otherEvents), state \(last)"
        }
    }

    /// Disconnects the client and waits for the recording tasks to finish.
    func close() async {
        await self.client.disconnect()
        let tasks = self.tasks.withLock { $0 }
        for task in tasks { await task.value }
    }

    // MARK: Recording

    private func consumeEvents() async {
        var failure: (any Error)?
        do {
            for try await event in self.subscription {
                let now = ContinuousClock.now
                self.state.withLock { state in
                    if case .publication(let publication, let epoch) = event {
                        state.publications.append(Received(offset: publication.offset, epoch: epoch, data: publication.data, at: now))
                    } else {
                        state.otherEvents.append(event)
                    }
                }
                self.wakeWaiters(ending: false)
            }
        } catch {
            failure = error
        }
        self.state.withLock { $0.ended = .some(failure) }
        self.wakeWaiters(ending: true)
    }

    private func consumeStates(_ states: AsyncStream<ConnectionState>) async {
        for await connectionState in states {
            let now = ContinuousClock.now
            self.state.withLock { $0.states.append((connectionState, now)) }
        }
    }

    private func wakeWaiters(ending: Bool) {
        let ready = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
            let count = state.publications.count
            let due = state.waiters.filter { ending || $0.value.count <= count }
            for key in due.keys { state.waiters.removeValue(forKey: key) }
            return due.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume() }
    }

    /// Returns once `count` publications arrived, the subscription ended, or the task is cancelled.
    private func arrival(of count: Int) async {
        let id = self.state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = self.state.withLock { state -> Bool in
                    if state.publications.count >= count || state.ended != nil || Task.isCancelled { return true }
                    state.waiters[id] = (count, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            self.state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
        }
    }
}
