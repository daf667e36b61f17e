import NIOCore
import NIOHTTP1
import TetherGatewayCore

/// Opens a session's connection to a node: TCP (and TLS) through the cluster's ``UpstreamConnector``, then
/// the gateway's own WebSocket handshake (a fresh key, no extensions: the gateway reads every frame), then
/// the frame codec with a ``SessionLegHandler`` at the end of the pipeline.
///
/// Each attempt takes a connection slot on its endpoint (released when the connection closes) and feeds
/// passive ejection; failed attempts move on to the next target. Threading: runs on `eventLoop` (the
/// client's), where the completion is called.
struct SessionDialer {
    /// Largest message accepted from a node (a resuming `connect`'s reply carries recovered publications).
    static let maxUpstreamMessageBytes = 16 << 20

    let cluster: ClusterRuntime
    let connector: UpstreamConnector
    let runtime: GatewayRuntime
    let eventLoop: EventLoop
    /// The handshake request (the client's, with the gateway's identity headers); key and extensions are
    /// replaced per attempt.
    let head: HTTPRequestHead

    struct Opened {
        let leg: SessionLegHandler
        let target: ClusterRuntime.Target
        /// The node's `101`.
        let response: HTTPResponseHead
    }

    /// How long a node may take to answer the handshake (and, for a re-bind, the resuming `connect`): the
    /// cluster's response timeout, but never longer than a re-bind may take.
    var handshakeTimeout: TimeAmount {
        let configuration = cluster.configuration
        return TimeAmount(min(configuration.responseTimeout, configuration.session.rebindTimeout))
    }

    enum DialError: Error {
        /// Every target failed; `refusal` is the last non-101 answer, if any.
        case exhausted(lastStatus: HTTPResponseStatus?)
    }

    /// Tries `targets` in order until one completes the handshake; none is started past `deadline`, and no
    /// handshake is given longer than what is left before it (the TCP connect keeps the cluster's
    /// `connect_timeout`).
    func dial(_ targets: [ClusterRuntime.Target], deadline: NIODeadline? = nil, completion: @escaping (Result<Opened, DialError>) -> Void) {
        dial(targets[...], deadline: deadline, lastStatus: nil, completion: completion)
    }

    private func dial(
        _ targets: ArraySlice<ClusterRuntime.Target>,
        deadline: NIODeadline?,
        lastStatus: HTTPResponseStatus?,
        completion: @escaping (Result<Opened, DialError>) -> Void
    ) {
        guard let target = targets.first, deadline.map({ NIODeadline.now() < $0 }) ?? true else {
            return completion(.failure(.exhausted(lastStatus: lastStatus)))
        }
        let rest = targets.dropFirst()
        guard cluster.acquire(target.id) else {
            runtime.metrics.upstreamFailure(cluster: cluster.name, endpoint: target.id, reason: .circuitOpen)
            return dial(rest, deadline: deadline, lastStatus: lastStatus, completion: completion)
        }
        let cluster = self.cluster
        let timeout = deadline.map { min(handshakeTimeout, $0 - .now()) } ?? handshakeTimeout
        open(target, timeout: timeout) { [self] result in
            switch result {
            case .success(let opened):
                cluster.recordAttempt(target.id, success: true, now: runtime.now())
                completion(.success(opened))
            case .failure(let failure):
                cluster.recordAttempt(target.id, success: false, now: runtime.now())
                runtime.metrics.upstreamFailure(cluster: cluster.name, endpoint: target.id, reason: failure.reason)
                runtime.logger.debug(
                    "session upstream attempt failed",
                    metadata: ["endpoint": "\(target.id)", "reason": "\(failure.reason.rawValue)", "error": "\(failure.underlying.map { "\($0)" } ?? "-")"]
                )
                dial(rest, deadline: deadline, lastStatus: failure.status ?? lastStatus, completion: completion)
            }
        }
    }

    private struct AttemptFailure: Error {
        var reason: UpstreamFailureReason
        var underlying: Error?
        var status: HTTPResponseStatus?
    }

    private typealias Completion = (Result<Opened, AttemptFailure>) -> Void

    /// One attempt: connect, handshake, codec. The slot taken by the caller is released when the channel
    /// closes (or at once if it never opened).
    private func open(_ target: ClusterRuntime.Target, timeout: TimeAmount, completion promise: @escaping Completion) {
        let cluster = self.cluster
        let key = WebSocketHandshake.makeKey()
        var head = self.head
        head.headers.replaceOrAdd(name: "Sec-WebSocket-Key", value: key)
        head.headers.remove(name: "Sec-WebSocket-Extensions")
        connector.connect(to: target.address, on: eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .failure(let error):
                cluster.release(target.id)
                promise(.failure(AttemptFailure(reason: UpstreamFailureReason(connectError: error), underlying: error)))
            case .success(let channel):
                channel.closeFuture.whenComplete { _ in cluster.release(target.id) }
                handshake(channel, head: head, key: key, target: target, timeout: timeout, promise: promise)
            }
        }
    }

    private func handshake(
        _ channel: Channel,
        head: HTTPRequestHead,
        key: String,
        target: ClusterRuntime.Target,
        timeout: TimeAmount,
        promise: @escaping Completion
    ) {
        guard let http = try? channel.pipeline.syncOperations.handler(type: UpstreamHTTPHandler.self) else {
            channel.close(promise: nil)
            return promise(.failure(AttemptFailure(reason: .closedBeforeResponse)))
        }
        var settled = false
        let deadline = eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            guard !settled else { return }
            settled = true
            channel.close(promise: nil)
            promise(.failure(AttemptFailure(reason: .responseTimeout)))
        }
        http.onEvent = { event in
            guard !settled else { return }
            settled = true
            deadline.cancel()
            http.onEvent = nil
            switch event {
            case .head(let response) where response.status == .switchingProtocols:
                guard response.headers.first(name: "Sec-WebSocket-Accept") == WebSocketHandshake.accept(forKey: key),
                    response.headers.first(name: "Sec-WebSocket-Extensions") == nil
                else {
                    channel.close(promise: nil)
                    return promise(.failure(AttemptFailure(reason: .serverError, status: .badGateway)))
                }
                // Outside the decoder's callback: the decoder leaves on a later tick and hands on any bytes
                // that followed the 101.
                channel.eventLoop.assumeIsolated().execute {
                    switchToFrames(channel, target: target, response: response, promise: promise)
                }
            case .head(let response):
                channel.close(promise: nil)
                promise(.failure(AttemptFailure(reason: .serverError, status: response.status)))
            case .body, .end:
                channel.close(promise: nil)
                promise(.failure(AttemptFailure(reason: .closedBeforeResponse)))
            case .failed(let error):
                channel.close(promise: nil)
                promise(.failure(AttemptFailure(reason: .closedBeforeResponse, underlying: error)))
            }
        }
        http.send(.head(head), flush: false)
        http.send(.end(nil), flush: true)
    }

    private func switchToFrames(_ channel: Channel, target: ClusterRuntime.Target, response: HTTPResponseHead, promise: @escaping Completion) {
        let leg = SessionLegHandler(role: .upstream)
        do {
            let sync = channel.pipeline.syncOperations
            let decoder = try sync.context(handlerType: ByteToMessageHandler<HTTPResponseDecoder>.self)
            let encoder = try sync.context(handlerType: HTTPRequestEncoder.self)
            let http = try sync.context(handlerType: UpstreamHTTPHandler.self)
            sync.removeHandler(context: http, promise: nil)
            sync.removeHandler(context: encoder, promise: nil)
            try leg.install(after: decoder, in: sync, on: channel.eventLoop, maxMessageBytes: Self.maxUpstreamMessageBytes) {
                if channel.isActive {
                    promise(.success(Opened(leg: leg, target: target, response: response)))
                } else {
                    promise(.failure(AttemptFailure(reason: .closedBeforeResponse)))
                }
            }
        } catch {
            channel.close(promise: nil)
            promise(.failure(AttemptFailure(reason: .closedBeforeResponse, underlying: error)))
        }
    }
}
