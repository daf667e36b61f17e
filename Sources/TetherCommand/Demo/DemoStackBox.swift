import Synchronization

/// Holds the ``DemoStack`` for the control routes, which are built before the stack exists (the gateway
/// needs the control app's port). Nil until the stack has started: routes answer 503 meanwhile.
final class DemoStackBox: Sendable {
    private let stack = Mutex<DemoStack?>(nil)

    func set(_ stack: DemoStack) {
        self.stack.withLock { $0 = stack }
    }

    var value: DemoStack? { self.stack.withLock { $0 } }
}
