import Synchronization

/// One connection's outbound messages, bounded in bytes, drained by exactly one writer task.
///
/// Producers (fan-out on any thread, command replies) call ``offer(_:)`` or ``push(_:)``; the writer calls
/// ``next(maxBytes:)`` in a loop and writes each batch as one WebSocket text frame (messages joined by
/// `\n`, docs/protocol.md section 1). Order is FIFO across all producers. Publications are offered and
/// refused once `limit` bytes are queued (the caller applies the namespace's slow-consumer policy);
/// replies and control pushes are pushed and only refused beyond twice the limit, which the caller
/// treats as a slow consumer whatever the namespace says.
public final class OutboundQueue: Sendable {
    /// How the queue ended, for the writer to turn into a close frame.
    public struct Closing: Sendable, Hashable {
        public var code: UInt16
        public var reason: String
        /// Whether queued messages are written before the close frame.
        public var flush: Bool
    }

    private struct State {
        var messages: [String] = []
        var head = 0
        var bytes = 0
        var closing: Closing?
        var waiter: CheckedContinuation<String?, Never>?
        /// Push-style consumer (``setWakeup(_:)``): true once ``take(maxBytes:)`` found nothing, so the next
        /// message or the close must call the wakeup.
        var consumerIdle = false
        var wakeup: (@Sendable () -> Void)?
    }

    public let limit: Int
    private let state = Mutex(State())

    public init(limit: Int) {
        self.limit = limit
    }

    /// Queues a publication-class message unless `limit` bytes are already queued.
    public func offer(_ message: String) -> Bool {
        self.append(message, cap: self.limit)
    }

    /// Queues a reply or control push; refused only beyond twice the limit or after closing.
    public func push(_ message: String) -> Bool {
        self.append(message, cap: self.limit * 2)
    }

    /// Bytes currently queued.
    public var queuedBytes: Int { self.state.withLock { $0.bytes } }

    public var isClosing: Bool { self.state.withLock { $0.closing != nil } }

    /// Switches to a push-style consumer (an event loop): `wakeup` is called, outside any lock, whenever
    /// something arrives (or the queue closes) after ``take(maxBytes:)`` returned ``Take/empty``. The
    /// consumer then calls `take` until it is empty again. Use either this or ``next(maxBytes:)``.
    public func setWakeup(_ wakeup: @escaping @Sendable () -> Void) {
        let wakeNow = self.state.withLock { state -> Bool in
            state.wakeup = wakeup
            let pending = state.head < state.messages.count || state.closing != nil
            state.consumerIdle = !pending
            return pending
        }
        if wakeNow { wakeup() }
    }

    /// Forgets the wakeup (the consumer is gone); breaks the reference cycle through its closure.
    public func clearWakeup() {
        self.state.withLock { state in
            state.wakeup = nil
            state.consumerIdle = false
        }
    }

    /// What a push-style consumer gets from ``take(maxBytes:)``.
    public enum Taken: Sendable, Hashable {
        /// Every queued message up to `maxBytes` (at least one), joined by `\n`.
        case batch(String)
        /// Nothing now; the wakeup will be called when there is.
        case empty
        /// Closed and drained: write the close frame (see ``closing``).
        case finished
    }

    /// Non-blocking take for push-style consumers (see ``setWakeup(_:)``).
    public func take(maxBytes: Int) -> Taken {
        self.state.withLock { state in
            switch Self.take(&state, maxBytes: maxBytes) {
            case .batch(let text)?: return .batch(text)
            case .finished?: return .finished
            case nil:
                state.consumerIdle = true
                return .empty
            }
        }
    }

    /// Ends the queue: nothing more is accepted; the writer gets the remaining messages if `flush` (then
    /// `finalMessage`, if any), then nil. The first call wins; later ones change nothing.
    public func close(code: UInt16, reason: String, flush: Bool, finalMessage: String? = nil) {
        let woken = self.state.withLock { state -> (CheckedContinuation<String?, Never>, String?)? in
            guard state.closing == nil else { return nil }
            state.closing = Closing(code: code, reason: reason, flush: flush)
            if !flush {
                state.messages = []
                state.head = 0
                state.bytes = 0
            }
            // A waiting writer means the queue is empty: hand it the final message, or the end.
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, flush ? finalMessage : nil)
            }
            if flush, let finalMessage {
                // Written last, whatever the bound: it says why the connection ends.
                state.messages.append(finalMessage)
                state.bytes += finalMessage.utf8.count
            }
            return nil
        }
        if let (waiter, message) = woken { waiter.resume(returning: message) }
        self.wakeIdleConsumer()
    }

    /// After a close: an idle consumer must see the end; a busy one (blocked on a full socket) must see a
    /// close without flush at once rather than after the peer reads.
    private func wakeIdleConsumer() {
        let wakeup = self.state.withLock { state -> (@Sendable () -> Void)? in
            guard let wakeup = state.wakeup, state.consumerIdle || state.closing?.flush == false else { return nil }
            state.consumerIdle = false
            return wakeup
        }
        wakeup?()
    }

    /// Why the queue closed, once ``next(maxBytes:)`` returned nil.
    public var closing: Closing? { self.state.withLock { $0.closing } }

    /// The next batch: every queued message up to `maxBytes` (at least one), joined by `\n`; waits while the
    /// queue is empty; nil once closed and drained. Only one task may call this.
    public func next(maxBytes: Int) async -> String? {
        if let ready = self.state.withLock({ Self.take(&$0, maxBytes: maxBytes) }) {
            return ready.batch
        }
        return await withCheckedContinuation { continuation in
            let ready = self.state.withLock { state -> Take? in
                if let ready = Self.take(&state, maxBytes: maxBytes) { return ready }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready.batch) }
        }
    }

    private func append(_ message: String, cap: Int) -> Bool {
        let size = message.utf8.count
        enum Outcome {
            case refused
            case queued
            case handOver(CheckedContinuation<String?, Never>)
            case wake(@Sendable () -> Void)
        }
        let outcome = self.state.withLock { state -> Outcome in
            guard state.closing == nil, state.bytes + size <= cap || state.bytes == 0 else { return .refused }
            if let waiter = state.waiter {
                state.waiter = nil
                return .handOver(waiter)
            }
            state.messages.append(message)
            state.bytes += size
            if state.consumerIdle, let wakeup = state.wakeup {
                state.consumerIdle = false
                return .wake(wakeup)
            }
            return .queued
        }
        switch outcome {
        case .refused: return false
        case .queued: return true
        case .handOver(let continuation):
            continuation.resume(returning: message)
            return true
        case .wake(let wakeup):
            wakeup()
            return true
        }
    }

    private enum Take {
        case batch(String)
        case finished

        var batch: String? {
            if case .batch(let text) = self { return text }
            return nil
        }
    }

    /// What the writer gets now, or nil if it has to wait.
    private static func take(_ state: inout State, maxBytes: Int) -> Take? {
        if state.head == state.messages.count {
            return state.closing != nil ? .finished : nil
        }
        var batch = state.messages[state.head]
        state.messages[state.head] = ""
        state.head += 1
        var size = batch.utf8.count
        state.bytes -= size
        while state.head < state.messages.count {
            let next = state.messages[state.head]
            let nextSize = next.utf8.count
            guard size + 1 + nextSize <= maxBytes else { break }
            batch += "\n"
            batch += next
            size += 1 + nextSize
            state.bytes -= nextSize
            state.messages[state.head] = ""
            state.head += 1
        }
        if state.head == state.messages.count {
            state.messages.removeAll(keepingCapacity: state.messages.count <= 64)
            state.head = 0
        } else if state.head >= 64, state.head * 2 >= state.messages.count {
            state.messages.removeFirst(state.head)
            state.head = 0
        }
        return .batch(batch)
    }
}
