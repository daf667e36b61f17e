import Synchronization
import TetherProtocol

/// The publisher of `tether bench failover`: publication N (0, 1, …) is due at `start + N / rate` on
/// channel index N mod C, with data `{"seq":N}` and idempotency key `<run>-N`, sent by `POST /api/publish`.
///
/// ``run(start:publishUntil:retryUntil:)`` runs `workers` tasks, each on its own keep-alive connection
/// (``NodeFailoverAPIConnection``): a worker claims the next publication, waits for its due time, and sends
/// it until it is acknowledged, retrying with the same key every 20 ms after a temporary refusal (503,
/// error 114) or a transport failure (reconnecting), until `retryUntil`. No publication is claimed whose
/// due time is at or after `publishUntil`. Acknowledgements go into ``ledger``. Thread-safe: the
/// counters and the ledger are behind mutexes.
final class NodeFailoverPublisher: Sendable {
    /// Counters of a run.
    struct Counters: Sendable {
        /// Publications claimed (first attempt made).
        var published = 0
        var acknowledged = 0
        /// Publications acknowledged after at least one failed attempt.
        var retried = 0
        /// Failed attempts (temporary refusals and transport failures).
        var failedAttempts = 0
        /// Publications refused for good (not retried).
        var refused = 0
        /// Publications still not acknowledged when retrying stopped.
        var unacknowledged = 0
        /// Publications first sent more than 100 ms after their due time (the workers could not keep up).
        var late = 0
        /// Failure reasons (at most 20 distinct ones) and how often each came.
        var failures: [String: Int] = [:]
    }

    let api: BenchTarget
    let apiKey: String
    let channels: [String]
    let rate: Int
    let workers: Int
    let run: String
    private let counters = Mutex(Counters())
    private let nextSeq = Mutex<UInt64>(0)
    let ledger = Mutex(NodeFailoverLedger())

    init(api: BenchTarget, apiKey: String, channels: [String], rate: Int, workers: Int, run: String) {
        self.api = api
        self.apiKey = apiKey
        self.channels = channels
        self.rate = rate
        self.workers = workers
        self.run = run
    }

    var snapshot: Counters { self.counters.withLock { $0 } }

    /// Publishes until `publishUntil` and retries until `retryUntil`; returns when every worker has stopped.
    func run(start: ContinuousClock.Instant, publishUntil: ContinuousClock.Instant, retryUntil: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<self.workers {
                group.addTask { await self.work(start: start, publishUntil: publishUntil, retryUntil: retryUntil) }
            }
        }
    }

    /// The JSON body of publication `seq`.
    func body(seq: UInt64) -> String {
        let channel = self.channels[Int(seq % UInt64(self.channels.count))]
        return "{\"channel\":" + NodeBenchToken.jsonString(channel) + ",\"data\":" + NodeFailoverPayload.data(seq: seq)
            + ",\"key\":" + NodeBenchToken.jsonString("\(self.run)-\(seq)") + "}"
    }

    private func claim(start: ContinuousClock.Instant, publishUntil: ContinuousClock.Instant) -> (seq: UInt64, due: ContinuousClock.Instant)? {
        self.nextSeq.withLock { next in
            let due = start + .nanoseconds(Int64((Double(next) * 1e9 / Double(self.rate)).rounded()))
            guard due < publishUntil else { return nil }
            defer { next += 1 }
            return (next, due)
        }
    }

    /// One publication being sent: its number, request body, and whether an attempt failed already.
    private struct Pending {
        var seq: UInt64
        var body: String
        var failed = false
    }

    private func work(start: ContinuousClock.Instant, publishUntil: ContinuousClock.Instant, retryUntil: ContinuousClock.Instant) async {
        var pending: Pending?
        while true {
            if pending == nil {
                guard let next = await self.next(start: start, publishUntil: publishUntil) else { return }
                pending = next
            }
            do {
                // One connection for as long as it works; a transport failure ends it and the pending
                // publication is sent again on the next one.
                try await NodeFailoverAPIConnection.withConnection(api: self.api, apiKey: self.apiKey) { connection in
                    while true {
                        if pending == nil {
                            guard let next = await self.next(start: start, publishUntil: publishUntil) else { return }
                            pending = next
                        }
                        switch try await connection.publish(pending!.body, timeout: .seconds(2)) {
                        case .acknowledged(let result):
                            let seq = pending!.seq
                            self.ledger.withLock {
                                $0.acknowledge(
                                    channel: Int(seq % UInt64(self.channels.count)), epoch: result.position.epoch,
                                    offset: result.position.offset, duplicate: result.duplicate)
                            }
                            let failed = pending!.failed
                            self.counters.withLock {
                                $0.acknowledged += 1
                                if failed { $0.retried += 1 }
                            }
                            pending = nil
                        case .temporary(let reason):
                            if !self.failedAttempt(&pending, reason: reason, retryUntil: retryUntil) { pending = nil }
                            try? await Task.sleep(for: .milliseconds(20))
                        case .refused(let reason):
                            self.counters.withLock {
                                $0.refused += 1
                                Self.note(reason, in: &$0)
                            }
                            pending = nil
                        }
                    }
                }
                return
            } catch {
                if !self.failedAttempt(&pending, reason: String(describing: error), retryUntil: retryUntil) { pending = nil }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// Claims the next publication and waits for its due time; nil when publishing is over.
    private func next(start: ContinuousClock.Instant, publishUntil: ContinuousClock.Instant) async -> Pending? {
        guard let (seq, due) = self.claim(start: start, publishUntil: publishUntil) else { return nil }
        try? await Task.sleep(until: due)
        let late = ContinuousClock.now - due > .milliseconds(100)
        self.counters.withLock {
            $0.published += 1
            if late { $0.late += 1 }
        }
        return Pending(seq: seq, body: self.body(seq: seq))
    }

    /// Counts a failed attempt of `pending`; false (and counted as unacknowledged) when retrying is over.
    private func failedAttempt(_ pending: inout Pending?, reason: String, retryUntil: ContinuousClock.Instant) -> Bool {
        guard pending != nil else { return true }
        pending!.failed = true
        let retry = ContinuousClock.now < retryUntil
        self.counters.withLock {
            $0.failedAttempts += 1
            Self.note(reason, in: &$0)
            if !retry { $0.unacknowledged += 1 }
        }
        return retry
    }

    private static func note(_ reason: String, in counters: inout Counters) {
        // Reasons carry addresses and counts; keep them short so that like failures add up.
        let key = String(reason.prefix(100))
        if counters.failures[key] != nil || counters.failures.count < 20 { counters.failures[key, default: 0] += 1 }
    }
}
