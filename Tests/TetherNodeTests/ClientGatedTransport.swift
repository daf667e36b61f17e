import Synchronization
import TetherClient

/// A ``TetherTransport`` for tests wrapping a real one: while the gate is closed, inbound messages are not
/// pulled from the wrapped connection, so (with ``WebSocketTransport``'s bounded inbox) its socket stops
/// being read and the node's slow-consumer policy may kick in. `rewrite` may change or drop (nil) each
/// inbound text message. Records every text sent.
final class ClientGatedTransport: TetherTransport {
    private struct State {
        var open = true
        var waiters: [CheckedContinuation<Void, Never>] = []
        var sent: [String] = []
    }

    private let inner: any TetherTransport
    private let rewrite: (@Sendable (String) -> String?)?
    private let state = Mutex(State())

    init(_ inner: any TetherTransport = WebSocketTransport(), rewrite: (@Sendable (String) -> String?)? = nil) {
        self.inner = inner
        self.rewrite = rewrite
    }

    func closeGate() {
        self.state.withLock { $0.open = false }
    }

    func openGate() {
        let waiters = self.state.withLock { state in
            state.open = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Every text sent so far, in order.
    var sent: [String] { self.state.withLock { $0.sent } }

    fileprivate func record(_ text: String) {
        self.state.withLock { $0.sent.append(text) }
    }

    fileprivate func waitUntilOpen() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let open = self.state.withLock { state in
                if state.open { return true }
                state.waiters.append(waiter)
                return false
            }
            if open { waiter.resume() }
        }
    }

    func connect(to url: String, maxMessageSize: Int) async throws -> any TetherTransportConnection {
        Connection(inner: try await self.inner.connect(to: url, maxMessageSize: maxMessageSize), transport: self)
    }

    private final class Connection: TetherTransportConnection {
        let inner: any TetherTransportConnection
        let events: AsyncStream<TransportEvent>
        private let transport: ClientGatedTransport

        init(inner: any TetherTransportConnection, transport: ClientGatedTransport) {
            self.inner = inner
            self.transport = transport
            let source = Source(inner.events)
            let rewrite = transport.rewrite
            self.events = AsyncStream(unfolding: {
                await transport.waitUntilOpen()
                while let event = await source.next() {
                    guard case .text(let text) = event, let rewrite else { return event }
                    if let rewritten = rewrite(text) { return .text(rewritten) }
                }
                return nil
            })
        }

        func send(_ text: String) async throws {
            self.transport.record(text)
            try await self.inner.send(text)
        }

        func close(code: UInt16, reason: String) async {
            await self.inner.close(code: code, reason: reason)
        }

        func abort() {
            self.inner.abort()
        }
    }

    /// The wrapped event stream's iterator; pulled by one consumer at a time.
    private final class Source: @unchecked Sendable {
        private var iterator: AsyncStream<TransportEvent>.Iterator

        init(_ events: AsyncStream<TransportEvent>) {
            self.iterator = events.makeAsyncIterator()
        }

        func next() async -> TransportEvent? {
            await self.iterator.next()
        }
    }
}
