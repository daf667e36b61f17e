import NIOCore
import Synchronization

/// The request/reply core of one connection: a FIFO of what each written command's reply completes, matched
/// in order to the replies as they are decoded, so any number of commands can be in flight (pipelining).
///
/// Contracts:
/// - Runs on its channel's event loop only; not `Sendable`.
/// - Replies complete their promises in write order. A RESP3 push frame is never taken for a reply: on a
///   command connection (`onPush == nil`) it is dropped; on a pub/sub connection `message`, `pmessage` and
///   `smessage` go to `onPush` (in arrival order, on the event loop) and (un)subscribe confirmations complete
///   their command. In pub/sub mode RESP2 arrays that start with one of those kinds are treated the same way.
/// - A reply not received by its deadline fails with ``RedisError/timeout``; everything else pending fails with
///   ``RedisError/connectionClosed`` and the channel is closed, as later replies would be misaligned.
/// - When the channel goes inactive, or on a decode error, every pending promise fails: nothing waits forever.
final class RedisConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private struct Entry {
        var response: RedisRequest.Response
        var remaining: Int
        var deadline: NIODeadline
    }

    private static let messageKinds: Set<String> = ["message", "pmessage", "smessage"]
    private static let confirmationKinds: Set<String> = [
        "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe",
    ]

    private var pending = CircularBuffer<Entry>(initialCapacity: 16)
    private var closedError: RedisError?
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var context: ChannelHandlerContext?
    private let onPush: (@Sendable ([RESPValue]) -> Void)?
    private let health: RedisConnectionHealth

    init(health: RedisConnectionHealth, onPush: (@Sendable ([RESPValue]) -> Void)?) {
        self.health = health
        self.onPush = onPush
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failAll(.connectionClosed)
        self.context = nil
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let closedError {
            request.fail(closedError)
            promise?.fail(closedError)
            return
        }
        for response in request.responses {
            let count: Int
            if case .confirmations(_, let expected, _) = response { count = expected } else { count = 1 }
            pending.append(Entry(response: response, remaining: count, deadline: request.deadline))
        }
        if !request.responses.isEmpty, timerDeadline.map({ request.deadline < $0 }) ?? true {
            // Deadlines are not monotonic (handshake and per-call timeouts differ): keep the timer on the earliest.
            timer?.cancel()
            scheduleTimer(at: request.deadline)
        }
        context.write(wrapOutboundOut(request.bytes), promise: promise)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        if let close = event as? RedisCloseEvent {
            failAll(close.error)
            context.close(promise: promise)
        } else {
            context.triggerUserOutboundEvent(event, promise: promise)
        }
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        switch value {
        case .push(let elements):
            handlePush(elements)
            return
        case .array(let elements) where onPush != nil:
            if let kind = elements.first?.string?.lowercased(),
               Self.messageKinds.contains(kind) || Self.confirmationKinds.contains(kind) {
                handlePush(elements)
                return
            }
        default:
            break
        }
        guard let head = pending.first else {
            // A reply nobody asked for: the stream is misaligned.
            fail(context: context, with: .protocolError("unexpected reply"))
            return
        }
        pending.removeFirst()
        switch head.response {
        case .reply(let promise):
            promise.succeed(value)
        case .confirmations(_, _, let promise):
            promise.fail(value.serverError ?? .protocolError("unexpected reply to a subscription command"))
        }
    }

    private func handlePush(_ elements: [RESPValue]) {
        guard let onPush, let kind = elements.first?.string?.lowercased() else { return }
        if Self.messageKinds.contains(kind) {
            onPush(elements)
        } else if Self.confirmationKinds.contains(kind), let head = pending.first,
                  case .confirmations(let expected, _, let promise) = head.response, expected == kind {
            if head.remaining <= 1 {
                pending.removeFirst()
                promise.succeed(.push(elements))
            } else {
                pending[pending.startIndex].remaining -= 1
            }
        }
        // Other pushes (invalidations, unsolicited unsubscribes) are ignored.
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, with: (error as? RedisError) ?? .connectionClosed)
    }

    // MARK: Failure and timeouts

    private func fail(context: ChannelHandlerContext, with error: RedisError) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisError) {
        if closedError == nil { closedError = error }
        health.markFailed()
        timer?.cancel()
        timer = nil
        timerDeadline = nil
        while let entry = pending.popFirst() {
            entry.response.fail(error)
        }
    }

    private func scheduleTimer(at deadline: NIODeadline) {
        guard let context else { return }
        let loop = context.eventLoop.assumeIsolated()
        timerDeadline = deadline
        timer = loop.scheduleTask(deadline: deadline) { [self] in
            self.timerFired()
        }
    }

    /// Checks every pending entry (deadlines are not in FIFO order when timeouts differ per call).
    private func timerFired() {
        timer = nil
        timerDeadline = nil
        guard let context, !pending.isEmpty else { return }
        let now = NIODeadline.now()
        var earliest = NIODeadline.distantFuture
        var expired = false
        for entry in pending {
            if entry.deadline <= now { expired = true }
            earliest = min(earliest, entry.deadline)
        }
        if expired {
            // Mark the connection dead before any caller resumes, so a retry never picks it again.
            let entries = Array(pending)
            pending.removeAll()
            health.markFailed()
            closedError = .connectionClosed
            context.close(promise: nil)
            for entry in entries {
                entry.response.fail(entry.deadline <= now ? .timeout : .connectionClosed)
            }
        } else {
            scheduleTimer(at: earliest)
        }
    }
}

/// Shared between a connection's handler (which marks it) and its owner (which reads it from any thread): set
/// as soon as the connection fails, before its pending calls are failed, so nobody sends on it again.
final class RedisConnectionHealth: Sendable {
    private let failed = Atomic<Bool>(false)
    func markFailed() { failed.store(true, ordering: .releasing) }
    var isFailed: Bool { failed.load(ordering: .acquiring) }
}

@available(*, unavailable)
extension RedisConnectionHandler: Sendable {}
