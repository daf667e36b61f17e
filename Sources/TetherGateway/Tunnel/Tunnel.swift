import Logging
import NIOCore
import TetherGatewayCore

/// One relayed WebSocket connection after the `101`: the client leg and the endpoint leg, each scanned
/// frame by frame so the gateway can count messages, answer for keep-alive, and inject close frames at frame
/// boundaries, while payloads pass through untouched.
///
/// Ownership and threading: created by the downstream handler on the client channel's event loop; both legs
/// live on that loop and every method runs there. The tunnel keeps its ``TunnelRelayHandler``s alive and they
/// keep it alive; ``finish()`` breaks the cycle once, when either leg closes or the gateway ends it.
///
/// Close semantics: frames a peer sends pass through, including its own close handshake. When the gateway
/// ends a tunnel (drain, shutdown, idle, dead peer) it sends a close frame to each leg that has not yet been
/// sent one, waiting for a frame boundary on that direction, then drops further traffic towards that leg and
/// closes both sockets once both legs have answered with their close frame or after ``closeTimeout``.
final class Tunnel {
    let id: ConnectionID
    let cluster: String
    let endpoint: String
    let eventLoop: EventLoop
    /// A logger carrying the connection's metadata, made on demand (see ``ConnectionContext/logger``).
    var logger: Logger { makeLogger() }
    private let makeLogger: () -> Logger

    private let legs: SidePair<TunnelRelayHandler>
    /// Indexed by the side the bytes go *to*.
    private var scanners = SidePair(repeating: WebSocketFrameScanner())
    private var closeSentTo = SidePair(repeating: false)
    private var gatewayClosed = SidePair(repeating: false)
    private var closeReceivedFrom = SidePair(repeating: false)
    /// The leg's channel closed (only waited past while the gateway awaits the other leg's close reply).
    private var legGone = SidePair(repeating: false)
    private var pendingClose = SidePair<ByteBuffer?>(repeating: nil)
    private var pendingPing = SidePair<ByteBuffer?>(repeating: nil)
    private var lastRead: SidePair<NIODeadline>
    private var pingSentAt = SidePair<NIODeadline?>(repeating: nil)
    private var lastData: NIODeadline
    private var reportedBytes = SidePair(repeating: 0)
    private var reportedMessages = SidePair(repeating: 0)

    private enum State { case open, closing, finished }
    private var state = State.open

    let keepAliveInterval: TimeAmount
    let keepAliveTimeout: TimeAmount
    let idleTimeout: TimeAmount
    let closeTimeout: TimeAmount
    private let metrics: EndpointMetrics
    /// Called once when the tunnel ends (unregistering, connection counts).
    var onFinish: ((Tunnel) -> Void)?

    static let keepAlivePayload: ByteBuffer = ByteBuffer(string: "tether-keepalive")

    init(
        id: ConnectionID,
        cluster: String,
        endpoint: String,
        downstream: TunnelRelayHandler,
        upstream: TunnelRelayHandler,
        eventLoop: EventLoop,
        keepAlive: KeepAliveConfiguration,
        idleTimeout: Duration,
        closeTimeout: TimeAmount = .seconds(5),
        metrics: EndpointMetrics,
        logger: @escaping () -> Logger
    ) {
        self.id = id
        self.cluster = cluster
        self.endpoint = endpoint
        self.legs = SidePair(downstream, upstream)
        self.eventLoop = eventLoop
        self.keepAliveInterval = TimeAmount(keepAlive.interval)
        self.keepAliveTimeout = TimeAmount(keepAlive.timeout)
        self.idleTimeout = TimeAmount(idleTimeout)
        self.closeTimeout = closeTimeout
        self.metrics = metrics
        self.makeLogger = logger
        let now = NIODeadline.now()
        self.lastRead = SidePair(repeating: now)
        self.lastData = now
        downstream.tunnel = self
        upstream.tunnel = self
    }

    var isFinished: Bool { state == .finished }

    // MARK: Relay

    func received(_ buffer: ByteBuffer, from side: TunnelSide) {
        guard state != .finished else { return }
        let destination = side.other
        let now = NIODeadline.now()
        lastRead[side.rawValue] = now
        pingSentAt[side.rawValue] = nil
        var buffer = buffer
        while let event = scanners[destination.rawValue].next(&buffer, stopAtFrameEnd: hasPendingInjection(to: destination)) {
            switch event {
            case .passThrough(let bytes):
                lastData = now
                deliver(bytes, to: destination)
            case .control(let frame):
                if frame.kind == .pong, frame.payload == Self.keepAlivePayload {
                    continue  // our own keep-alive answered
                }
                if frame.kind == .close {
                    closeReceivedFrom[side.rawValue] = true
                    if !gatewayClosed[destination.rawValue] {
                        closeSentTo[destination.rawValue] = true
                    }
                }
                deliver(frame.raw, to: destination)
            }
            injectPending(to: destination)
        }
        if state == .closing {
            finishIfCloseHandshakeDone()
        }
    }

    private func deliver(_ bytes: ByteBuffer, to side: TunnelSide) {
        guard !gatewayClosed[side.rawValue] else { return }
        legs[side.rawValue].write(bytes)
    }

    func flush(to side: TunnelSide) {
        legs[side.rawValue].flush()
    }

    func isWritable(_ side: TunnelSide) -> Bool {
        legs[side.rawValue].isWritable
    }

    func becameWritable(_ side: TunnelSide) {
        legs[side.other.rawValue].resumeReadingIfPending()
    }

    // MARK: Injection

    private func hasPendingInjection(to side: TunnelSide) -> Bool {
        pendingClose[side.rawValue] != nil || pendingPing[side.rawValue] != nil
    }

    /// Writes a pending close or ping towards `side` if that direction is at a frame boundary.
    private func injectPending(to side: TunnelSide) {
        let index = side.rawValue
        guard scanners[index].isAtFrameBoundary, !gatewayClosed[index] else { return }
        if let close = pendingClose[index] {
            pendingClose[index] = nil
            pendingPing[index] = nil
            legs[index].write(close)
            legs[index].flush()
            gatewayClosed[index] = true
            closeSentTo[index] = true
        } else if let ping = pendingPing[index] {
            pendingPing[index] = nil
            legs[index].write(ping)
            legs[index].flush()
        }
    }

    /// Ends the tunnel from the gateway's side with the cause's close codes (see the type's contract).
    func initiateClose(_ cause: TunnelCloseCause) {
        guard state == .open else { return }
        state = .closing
        logger.debug("closing tunnel", metadata: ["endpoint": "\(endpoint)", "cause": "\(cause.reason)"])
        for side in [TunnelSide.downstream, .upstream] where !closeSentTo[side.rawValue] {
            let code = side == .downstream ? cause.downstreamCode : cause.upstreamCode
            pendingClose[side.rawValue] = WebSocketFrameWriter.closeFrame(code: code, reason: cause.reason, masked: side.needsMasking)
            injectPending(to: side)
        }
        eventLoop.assumeIsolated().scheduleTask(in: closeTimeout) { [self] in
            finish()
        }
        finishIfCloseHandshakeDone()
    }

    private func finishIfCloseHandshakeDone() {
        let done = (0..<2).allSatisfy { legGone[$0] || (closeSentTo[$0] && closeReceivedFrom[$0]) }
        if done { finish() }
    }

    // MARK: Timers (driven once a second by the loop's sweep)

    func tick(now: NIODeadline) {
        guard state == .open else { return }
        reportCounters()
        if idleTimeout > .zero, now - lastData >= idleTimeout {
            metrics.timeouts.increment()
            initiateClose(.idle)
            return
        }
        guard keepAliveInterval > .zero else { return }
        for side in [TunnelSide.downstream, .upstream] {
            let index = side.rawValue
            if let sent = pingSentAt[index] {
                if now - sent >= keepAliveTimeout {
                    metrics.timeouts.increment()
                    logger.info("peer stopped answering keep-alive pings", metadata: ["endpoint": "\(endpoint)", "leg": "\(side.label)"])
                    initiateClose(.keepAliveTimeout)
                    return
                }
            } else if now - lastRead[index] >= keepAliveInterval, !closeSentTo[index] {
                pingSentAt[index] = now
                pendingPing[index] = WebSocketFrameWriter.pingFrame(payload: Self.keepAlivePayload, masked: side.needsMasking)
                injectPending(to: side)
            }
        }
    }

    /// Adds what was relayed since the last report to the endpoint's counters.
    func reportCounters() {
        let down = scanners[TunnelSide.downstream.rawValue]
        let up = scanners[TunnelSide.upstream.rawValue]
        metrics.bytesToDownstream.increment(by: Int64(down.byteCount - reportedBytes[0]))
        metrics.bytesToUpstream.increment(by: Int64(up.byteCount - reportedBytes[1]))
        metrics.messagesToDownstream.increment(by: Int64(down.messageCount - reportedMessages[0]))
        metrics.messagesToUpstream.increment(by: Int64(up.messageCount - reportedMessages[1]))
        reportedBytes = SidePair(down.byteCount, up.byteCount)
        reportedMessages = SidePair(down.messageCount, up.messageCount)
    }

    /// Messages relayed so far, per direction (towards downstream, towards upstream).
    var messageCounts: (toDownstream: Int, toUpstream: Int) {
        (scanners[0].messageCount, scanners[1].messageCount)
    }

    // MARK: Leg events

    func inputClosed(_ side: TunnelSide) {
        // Half-close: the peer sent FIN; pass it on and keep the other direction flowing.
        guard let context = legs[side.other.rawValue].context else { return finish() }
        context.close(mode: .output, promise: nil)
    }

    func legClosed(_ side: TunnelSide) {
        legGone[side.rawValue] = true
        // A leg that goes away once the gateway has sent the other leg its close frame does not cut that leg
        // short: its close reply is still awaited (at most `closeTimeout`), so it is not reset mid-handshake.
        let other = side.other.rawValue
        if state == .closing, !legGone[other], gatewayClosed[other], !closeReceivedFrom[other] {
            return
        }
        finish()
    }

    func legFailed(_ side: TunnelSide, error: Error) {
        logger.debug("tunnel leg failed", metadata: ["endpoint": "\(endpoint)", "leg": "\(side.label)", "error": "\(error)"])
        finish()
    }

    /// Closes both legs (if still open), reports counters and releases everything. Idempotent.
    func finish() {
        guard state != .finished else { return }
        state = .finished
        reportCounters()
        for leg in legs.both {
            leg.context?.close(promise: nil)
        }
        onFinish?(self)
        onFinish = nil
        for leg in legs.both {
            leg.tunnel = nil
        }
    }
}
