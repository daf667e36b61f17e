import Synchronization
import TetherCore

/// One node attached to an engine under test: its broker and the recorder that is its sink.
final class EngineConformanceNode: Sendable {
    let name: String
    let broker: any Broker
    let recorder: EngineConformanceRecorder
    private let closed = Mutex(false)

    init(name: String, broker: any Broker, recorder: EngineConformanceRecorder) {
        self.name = name
        self.broker = broker
        self.recorder = recorder
    }

    /// Closes the broker once (later calls do nothing).
    func close() async {
        let first = self.closed.withLock { closed -> Bool in
            defer { closed = true }
            return !closed
        }
        if first {
            await self.broker.close()
        }
    }
}
