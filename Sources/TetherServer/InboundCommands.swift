import Synchronization

/// One connection's inbound messages waiting for the command loop, bounded in bytes.
///
/// The event loop appends; a task started on demand drains them one by one into
/// `ClientConnection.receive` (commands are handled in order, never two at once). No task exists while
/// the connection is idle.
final class InboundCommands: Sendable {
    private struct State {
        var texts: [String] = []
        var head = 0
        var bytes = 0
        var running = false
    }

    private let state = Mutex(State())

    /// Queues `text`; returns true when the caller must start a drain task (none is running).
    func append(_ text: String) -> (startTask: Bool, queuedBytes: Int) {
        self.state.withLock { state in
            state.texts.append(text)
            state.bytes += text.utf8.count
            let start = !state.running
            state.running = true
            return (start, state.bytes)
        }
    }

    /// The next message for the drain task, or nil (and the task must end) when there is none.
    func next() -> String? {
        self.state.withLock { state in
            guard state.head < state.texts.count else {
                state.texts.removeAll(keepingCapacity: false)
                state.head = 0
                state.running = false
                return nil
            }
            let text = state.texts[state.head]
            state.texts[state.head] = ""
            state.head += 1
            state.bytes -= text.utf8.count
            if state.head >= 64, state.head * 2 >= state.texts.count {
                state.texts.removeFirst(state.head)
                state.head = 0
            }
            return text
        }
    }

    var queuedBytes: Int { self.state.withLock { $0.bytes } }
}
