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

    /// Ends the queue: nothing more is accepted; the writer gets the remaining messages if `flush`, then nil.
    /// The first call wins.
    public func close(code: UInt16, reason: String, flush: Bool) {
        let waiter = self.state.withLock { state -> CheckedContinuation<String?, Never>? in
            guard state.closing == nil else { return nil }
            state.closing = Closing(code: code, reason: reason, flush: flush)
            if !flush {
                state.messages = []
                state.head = 0
                state.bytes = 0
            }
            // A waiting writer means the queue is empty: wake it to see the end.
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: nil)
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
        let waiter = self.state.withLock { state -> (CheckedContinuation<String?, Never>, String)?? in
            guard state.closing == nil, state.bytes + size <= cap || state.bytes == 0 else { return .none }
            if let waiter = state.waiter {
                state.waiter = nil
                return .some((waiter, message))
            }
            state.messages.append(message)
            state.bytes += size
            return .some(nil)
        }
        switch waiter {
        case .none: return false
        case .some(.none): return true
        case .some(.some(let (continuation, message))):
            continuation.resume(returning: message)
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
