import NIOConcurrencyHelpers
import NIOCore

/// Hands messages from the client's channel handler (event loop) to one waiting `receive()` (any task).
///
/// Unbounded: the test client reads everything the server sends. At most one waiter at a time; a second
/// concurrent `next` is a programming error and traps. Thread-safe.
final class ClientMessageQueue: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<WebSocketTestClient.Message, Error>
        var timeout: Scheduled<Void>?
    }

    private struct State {
        var buffer = CircularBuffer<WebSocketTestClient.Message>()
        var waiter: Waiter?
        var nextWaiterID: UInt64 = 0
        var finished: WebSocketTestClientError?
        var pingsReceived = 0
    }

    private let state = NIOLockedValueBox(State())

    var pingsReceived: Int {
        self.state.withLockedValue { $0.pingsReceived }
    }

    func countPing() {
        self.state.withLockedValue { $0.pingsReceived += 1 }
    }

    /// Delivers `message` to the waiter or buffers it. Ignored after `finish`.
    func push(_ message: WebSocketTestClient.Message) {
        let waiter = self.state.withLockedValue { state -> Waiter? in
            guard state.finished == nil else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.buffer.append(message)
            return nil
        }
        waiter?.timeout?.cancel()
        waiter?.continuation.resume(returning: message)
    }

    /// No more messages: buffered ones are still delivered, then every `next` throws `error`.
    func finish(_ error: WebSocketTestClientError) {
        let waiter = self.state.withLockedValue { state -> Waiter? in
            if state.finished == nil { state.finished = error }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.timeout?.cancel()
        waiter?.continuation.resume(throwing: error)
    }

    /// The next message, waiting at most `timeout` (the timer runs on `eventLoop`).
    func next(timeout: TimeAmount, eventLoop: EventLoop) async throws -> WebSocketTestClient.Message {
        let id = self.state.withLockedValue { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate = self.state.withLockedValue { state -> Result<WebSocketTestClient.Message, Error>? in
                    if let message = state.buffer.popFirst() { return .success(message) }
                    if let error = state.finished { return .failure(error) }
                    precondition(state.waiter == nil, "WebSocketTestClient.receive() called concurrently")
                    state.waiter = Waiter(id: id, continuation: continuation, timeout: nil)
                    return nil
                }
                if let immediate {
                    continuation.resume(with: immediate)
                    return
                }
                let scheduled = eventLoop.scheduleTask(in: timeout) {
                    self.expire(id, WebSocketTestClientError(.timeout, detail: "no message within \(timeout)"))
                }
                let stillWaiting = self.state.withLockedValue { state -> Bool in
                    guard state.waiter?.id == id else { return false }
                    state.waiter?.timeout = scheduled
                    return true
                }
                if !stillWaiting { scheduled.cancel() }
            }
        } onCancel: {
            self.expire(id, CancellationError())
        }
    }

    private func expire(_ id: UInt64, _ error: Error) {
        let waiter = self.state.withLockedValue { state -> Waiter? in
            guard let waiter = state.waiter, waiter.id == id else { return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.timeout?.cancel()
        waiter?.continuation.resume(throwing: error)
    }
}
