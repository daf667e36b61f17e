import Synchronization
import TetherCore
import TetherProtocol

/// A ``BrokerEventSink`` that records every event and lets a test await a condition on them.
///
/// `receive` appends under a lock and resumes the waiters whose condition now holds; it never blocks.
package final class EngineConformanceRecorder: BrokerEventSink {
    private struct Waiter {
        let id: UInt64
        let condition: @Sendable ([BrokerEvent]) -> Bool
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var events: [BrokerEvent] = []
        var waiters: [Waiter] = []
        var nextWaiter: UInt64 = 0
        /// Waiters whose timeout fired before they were registered.
        var timedOut: Set<UInt64> = []
    }

    private let state = Mutex(State())

    package init() {}

    package func receive(_ event: BrokerEvent) {
        let ready = self.state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.events.append(event)
            var ready: [CheckedContinuation<Void, any Error>] = []
            state.waiters.removeAll { waiter in
                guard waiter.condition(state.events) else { return false }
                ready.append(waiter.continuation)
                return true
            }
            return ready
        }
        for continuation in ready {
            continuation.resume()
        }
    }

    /// Every event received so far, in order.
    package var events: [BrokerEvent] { self.state.withLock { $0.events } }

    /// The publications received for `channel`, in order, with their epochs.
    package func publications(in channel: String) -> [(epoch: String, publication: Publication)] {
        Self.publications(in: channel, self.events)
    }

    package static func publications(in channel: String, _ events: [BrokerEvent]) -> [(epoch: String, publication: Publication)] {
        events.compactMap { event in
            guard case .publication(channel, let epoch, let publication) = event else { return nil }
            return (epoch, publication)
        }
    }

    /// Returns once `condition` holds for the events received so far; throws
    /// ``EngineConformanceFailure`` naming `what` if it does not within `timeout` (real time).
    package func wait(
        for what: String,
        timeout: Duration = .seconds(10),
        file: StaticString = #filePath,
        line: UInt = #line,
        until condition: @escaping @Sendable ([BrokerEvent]) -> Bool
    ) async throws {
        let id = self.state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        let failure = EngineConformanceFailure("timed out after \(timeout) waiting for \(what)", file: file, line: line)
        let timer = Task { [self] in
            try await Task.sleep(for: timeout)
            let continuation = self.state.withLock { state -> CheckedContinuation<Void, any Error>? in
                if let index = state.waiters.firstIndex(where: { $0.id == id }) {
                    return state.waiters.remove(at: index).continuation
                }
                state.timedOut.insert(id)
                return nil
            }
            continuation?.resume(throwing: failure)
        }
        defer { timer.cancel() }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            enum Outcome { case satisfied, timedOut, waiting }
            let outcome = self.state.withLock { state -> Outcome in
                if state.timedOut.remove(id) != nil { return .timedOut }
                if condition(state.events) { return .satisfied }
                state.waiters.append(Waiter(id: id, condition: condition, continuation: continuation))
                return .waiting
            }
            switch outcome {
            case .satisfied: continuation.resume()
            case .timedOut: continuation.resume(throwing: failure)
            case .waiting: break
            }
        }
    }

    /// Waits until `count` publications of `channel` were received.
    package func waitForPublications(
        _ count: Int,
        in channel: String,
        file: StaticString = #filePath,
        line: UInt = #line
    ) async throws {
        try await self.wait(for: "\(count) publication(s) in \(channel)", file: file, line: line) { events in
            Self.publications(in: channel, events).count >= count
        }
    }
}
