import Synchronization

/// What `tether client` counted (and whether a signal stopped it): publications, gaps, and, for data with an integer `seq`, seqs lost
/// (skipped) or duplicated, per channel. Threading: every method may be called from any task.
final class TerminalClientTally: Sendable {
    private struct State {
        var publications = 0
        var gaps = 0
        var lastSeq: [String: Int] = [:]
        var lost = 0
        var duplicated = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
        var interrupted = false
    }

    private let limit: Int
    private let state = Mutex(State())

    /// `limit`: the publication count that ends the run (0: none).
    init(limit: Int) {
        self.limit = limit
    }

    /// Counts one publication; returns a note for its line when its seq skipped or repeated some.
    func record(channel: String, seq: Int?) -> String {
        let (note, waiters) = self.state.withLock { state -> (String, [CheckedContinuation<Void, Never>]) in
            state.publications += 1
            var note = ""
            if let seq {
                if let last = state.lastSeq[channel] {
                    if seq > last + 1 {
                        state.lost += seq - last - 1
                        note = "  LOST seq \(last + 1)…\(seq - 1)"
                    } else if seq <= last {
                        state.duplicated += 1
                        note = "  DUPLICATE seq \(seq)"
                    }
                }
                state.lastSeq[channel] = max(seq, state.lastSeq[channel] ?? seq)
            }
            guard self.limit > 0, state.publications >= self.limit else { return (note, []) }
            defer { state.waiters.removeAll() }
            return (note, state.waiters)
        }
        for waiter in waiters { waiter.resume() }
        return note
    }

    /// Notes that a signal stopped the run.
    func interrupt() {
        self.state.withLock { $0.interrupted = true }
    }

    var interrupted: Bool { self.state.withLock { $0.interrupted } }

    func recordGap() {
        self.state.withLock { $0.gaps += 1 }
    }

    /// Returns once `limit` publications were counted, or when the calling task is cancelled (never
    /// otherwise when the limit is 0).
    func reachedLimit() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let done = self.state.withLock { state -> Bool in
                    if Task.isCancelled || (self.limit > 0 && state.publications >= self.limit) { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            let waiters = self.state.withLock { state in
                defer { state.waiters.removeAll() }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    var summary: String {
        self.state.withLock { state in
            var text = "received \(state.publications) publication(s), \(state.gaps) gap(s)"
            if !state.lastSeq.isEmpty { text += "; seq check: lost \(state.lost), duplicated \(state.duplicated)" }
            return text
        }
    }
}
