import NIOCore
import Synchronization

/// Collects "this connection has something to write" signals for one event loop and runs them in one
/// task on that loop, so a publication fanned out to thousands of connections costs one cross-thread
/// hand-off per event loop instead of one per connection.
///
/// Contract: `wake` may be called from any thread; every registered action runs on `eventLoop`, once per
/// `wake` batch (an action woken twice before the batch runs runs once per wake: it must tolerate
/// finding nothing to do).
final class LoopWakeups: Sendable {
    let eventLoop: any EventLoop
    private let pending = Mutex<(actions: [@Sendable () -> Void], scheduled: Bool)>(([], false))

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func wake(_ action: @escaping @Sendable () -> Void) {
        let schedule = self.pending.withLock { state -> Bool in
            state.actions.append(action)
            guard !state.scheduled else { return false }
            state.scheduled = true
            return true
        }
        guard schedule else { return }
        self.eventLoop.execute { self.run() }
    }

    private func run() {
        let actions = self.pending.withLock { state -> [@Sendable () -> Void] in
            let actions = state.actions
            state.actions = []
            state.scheduled = false
            return actions
        }
        for action in actions { action() }
    }
}

/// One ``LoopWakeups`` per event loop, shared by the connections of a ``NodeChannel``.
final class LoopWakeupsRegistry: Sendable {
    private let byLoop = Mutex<[ObjectIdentifier: LoopWakeups]>([:])

    func wakeups(for eventLoop: any EventLoop) -> LoopWakeups {
        self.byLoop.withLock { byLoop in
            let key = ObjectIdentifier(eventLoop)
            if let existing = byLoop[key] { return existing }
            let created = LoopWakeups(eventLoop: eventLoop)
            byLoop[key] = created
            return created
        }
    }
}
