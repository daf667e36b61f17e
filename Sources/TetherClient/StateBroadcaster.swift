import Synchronization

/// Fans ``ConnectionState`` changes out to every ``TetherClient/states`` stream. Thread-safe.
final class StateBroadcaster: Sendable {
    private struct State {
        var current: ConnectionState = .disconnected(code: 1000, reconnecting: false)
        var nextID = 0
        var observers: [Int: AsyncStream<ConnectionState>.Continuation] = [:]
    }

    private let state = Mutex(State())

    var current: ConnectionState { self.state.withLock { $0.current } }

    /// A stream that starts with the current state and then yields every change, until ``finishAll()``.
    func stream() -> AsyncStream<ConnectionState> {
        let (stream, continuation) = AsyncStream.makeStream(of: ConnectionState.self)
        let id = self.state.withLock { state in
            state.nextID += 1
            state.observers[state.nextID] = continuation
            continuation.yield(state.current)
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.observers.removeValue(forKey: id) }
        }
        return stream
    }

    func emit(_ value: ConnectionState) {
        self.state.withLock { state in
            state.current = value
            for observer in state.observers.values { observer.yield(value) }
        }
    }

    /// Ends every current stream (the client stopped); later ``stream()`` calls get new ones.
    func finishAll() {
        let observers = self.state.withLock { state in
            defer { state.observers.removeAll() }
            return Array(state.observers.values)
        }
        for observer in observers { observer.finish() }
    }
}
