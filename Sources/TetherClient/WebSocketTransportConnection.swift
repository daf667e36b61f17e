import Logging
import NIOCore
import Synchronization
import WSClient

/// One connection of ``WebSocketTransport``: a task runs `WebSocketClient` and forwards its inbound text
/// messages to ``events`` through a bounded ``TransportInbox`` (the socket is not read while it is full);
/// ``send(_:)`` writes through the client's outbound writer.
final class WebSocketTransportConnection: TetherTransportConnection {
    let events: AsyncStream<TransportEvent>
    private let inbox: TransportInbox
    private let state = Mutex(State())

    private struct State {
        var outbound: WebSocketOutboundWriter?
        var ready: CheckedContinuation<Void, any Error>?
        var task: Task<Void, Never>?
        var aborted = false
        var finished = false
    }

    /// The socket closed before the WebSocket upgrade completed.
    struct ClosedBeforeOpen: Error, CustomStringConvertible {
        var description: String { "the connection closed before the WebSocket upgrade completed" }
    }

    /// `capacity`: inbound messages queued before the socket stops being read.
    init(capacity: Int = 64) {
        let inbox = TransportInbox(capacity: capacity)
        self.inbox = inbox
        self.events = AsyncStream(unfolding: { await inbox.next() })
    }

    /// Connects and returns once the upgrade completed (throws if it failed). Cancelling the caller aborts
    /// the attempt.
    func open(url: String, maxMessageSize: Int, eventLoopGroup: any EventLoopGroup, logger: Logger) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (ready: CheckedContinuation<Void, any Error>) in
                self.state.withLock { $0.ready = ready }
                let task = Task {
                    await self.run(url: url, maxMessageSize: maxMessageSize, eventLoopGroup: eventLoopGroup, logger: logger)
                }
                let cancelled = self.state.withLock { state in
                    state.task = task
                    return state.aborted
                }
                if cancelled { task.cancel() }
            }
        } onCancel: {
            self.abort()
        }
    }

    private func run(url: String, maxMessageSize: Int, eventLoopGroup: any EventLoopGroup, logger: Logger) async {
        do {
            let closeFrame = try await WebSocketClient.connect(
                url: url,
                configuration: WebSocketClientConfiguration(
                    maxFrameSize: maxMessageSize,
                    additionalHeaders: [.init("Sec-WebSocket-Protocol")!: "tether.v1"]
                ),
                eventLoopGroup: eventLoopGroup,
                logger: logger
            ) { inbound, outbound, _ in
                self.opened(outbound)
                for try await message in inbound.messages(maxSize: maxMessageSize) {
                    if case .text(let text) = message { await self.inbox.push(.text(text)) }
                }
            }
            self.finish(code: closeFrame.map { UInt16(webSocketErrorCode: $0.closeCode) }, reason: closeFrame?.reason, error: nil)
        } catch {
            self.finish(code: nil, reason: nil, error: error)
        }
    }

    private func opened(_ outbound: WebSocketOutboundWriter) {
        let ready = self.state.withLock { state in
            state.outbound = outbound
            defer { state.ready = nil }
            return state.ready
        }
        ready?.resume()
    }

    private func finish(code: UInt16?, reason: String?, error: (any Error)?) {
        let (ready, aborted, alreadyFinished) = self.state.withLock { state in
            defer {
                state.ready = nil
                state.finished = true
                state.outbound = nil
            }
            return (state.ready, state.aborted, state.finished)
        }
        if alreadyFinished { return }
        if let ready {
            ready.resume(throwing: error ?? ClosedBeforeOpen())
        }
        self.inbox.finish(.closed(code: aborted ? nil : code, reason: aborted ? "aborted" : reason))
    }

    func send(_ text: String) async throws {
        guard let outbound = self.state.withLock({ $0.outbound }) else { throw ClosedBeforeOpen() }
        try await outbound.write(.text(text))
    }

    func close(code: UInt16, reason: String) async {
        guard let outbound = self.state.withLock({ $0.outbound }) else {
            self.abort()
            return
        }
        do {
            try await outbound.close(.init(codeNumber: Int(code)), reason: reason)
        } catch {
            self.abort()
        }
    }

    /// Drops the connection; an ``open(url:maxMessageSize:eventLoopGroup:logger:)`` still waiting for the
    /// upgrade throws `CancellationError` at once.
    func abort() {
        let (task, ready) = self.state.withLock { state in
            state.aborted = true
            defer { state.ready = nil }
            return (state.task, state.ready)
        }
        task?.cancel()
        ready?.resume(throwing: CancellationError())
    }
}
