import Synchronization

/// A bounded single-producer, single-consumer queue of ``TransportEvent``s between a socket reader and the
/// client, so a client that falls behind stops the socket from being read (TCP backpressure: the node's
/// slow-consumer policy then applies) instead of buffering without bound.
///
/// ``push(_:)`` waits while `capacity` events are queued; ``finish(_:)`` appends the final event without
/// waiting; ``next()`` returns nil after the final event, or when its task is cancelled. Thread-safe.
final class TransportInbox: Sendable {
    private struct State {
        var buffer: [TransportEvent] = []
        var head = 0
        var finished = false
        var cancelled = false
        var consumer: CheckedContinuation<TransportEvent?, Never>?
        var producer: CheckedContinuation<Void, Never>?

        var count: Int { self.buffer.count - self.head }

        mutating func popFirst() -> TransportEvent? {
            guard self.head < self.buffer.count else { return nil }
            let event = self.buffer[self.head]
            self.head += 1
            if self.head > 64 && self.head * 2 > self.buffer.count {
                self.buffer.removeFirst(self.head)
                self.head = 0
            }
            return event
        }
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Queues `event`, first waiting while the queue is full. Returns at once (dropping the event) when the
    /// consumer is gone or the task is cancelled.
    func push(_ event: TransportEvent) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (producer: CheckedContinuation<Void, Never>) in
                let resume = self.state.withLock { state -> Bool in
                    if state.cancelled || state.finished { return true }
                    if let consumer = state.consumer {
                        state.consumer = nil
                        consumer.resume(returning: event)
                        return true
                    }
                    state.buffer.append(event)
                    if state.count < self.capacity { return true }
                    state.producer = producer
                    return false
                }
                if resume { producer.resume() }
            }
        } onCancel: {
            self.wakeProducer()
        }
    }

    /// Appends the last event and ends the queue.
    func finish(_ event: TransportEvent) {
        let consumer = self.state.withLock { state -> CheckedContinuation<TransportEvent?, Never>? in
            guard !state.finished else { return nil }
            state.finished = true
            if let consumer = state.consumer {
                state.consumer = nil
                return consumer
            }
            state.buffer.append(event)
            return nil
        }
        consumer?.resume(returning: event)
    }

    /// The next event, waiting for one; nil once the final event was returned or the task is cancelled.
    func next() async -> TransportEvent? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (consumer: CheckedContinuation<TransportEvent?, Never>) in
                let (event, producer, ready) = self.state.withLock {
                    state -> (TransportEvent?, CheckedContinuation<Void, Never>?, Bool) in
                    if state.cancelled { return (nil, nil, true) }
                    if let event = state.popFirst() {
                        let producer = state.producer
                        state.producer = nil
                        return (event, producer, true)
                    }
                    if state.finished { return (nil, nil, true) }
                    state.consumer = consumer
                    return (nil, nil, false)
                }
                producer?.resume()
                if ready { consumer.resume(returning: event) }
            }
        } onCancel: {
            self.cancel()
        }
    }

    /// The consumer is gone: wakes both sides; later pushes are dropped and ``next()`` returns nil.
    func cancel() {
        let (consumer, producer) = self.state.withLock { state in
            state.cancelled = true
            defer {
                state.consumer = nil
                state.producer = nil
            }
            return (state.consumer, state.producer)
        }
        consumer?.resume(returning: nil)
        producer?.resume()
    }

    private func wakeProducer() {
        let producer = self.state.withLock { state in
            defer { state.producer = nil }
            return state.producer
        }
        producer?.resume()
    }
}
