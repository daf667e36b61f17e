import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import TetherGatewayCore

/// The HTTP/1.1 side of a downstream connection until it becomes a tunnel: routes each request, picks
/// endpoints, forwards plain requests (keep-alive to the client) and WebSocket handshakes, retries the next
/// candidate on a failed connect or a 5xx before `101`, and on `101` hands both connections to a ``Tunnel``.
///
/// Threading: lives on the downstream channel's event loop, as do the upstream connections it opens.
/// One request is in flight at a time (no pipelining): reads stop while an exchange is in progress.
final class DownstreamHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let connection: ConnectionContext
    private let runtime: GatewayRuntime
    private let headGuard: RequestHeadGuardHandler
    private var context: ChannelHandlerContext?
    private var exchange: Exchange?
    private var closed = false
    /// Between the relayed `101` and the tunnel taking over both connections.
    private var switchingToTunnel = false
    private var clientInputClosedDuringSwitch = false

    init(connection: ConnectionContext, runtime: GatewayRuntime, headGuard: RequestHeadGuardHandler) {
        self.connection = connection
        self.runtime = runtime
        self.headGuard = headGuard
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if let exchange, exchange.requestEnded {
            // A pipelined request: it waits, bounded, until the current response is done.
            return queuePipelined(part)
        }
        handle(part, context: context)
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            headGuard.disarm()
            requestHead(head, context: context)
        case .body(var body):
            guard let exchange, !exchange.requestEnded else { return }
            exchange.requestBytes += body.readableBytes
            if exchange.requestBytes > runtime.limits.maxRequestBodyBytes {
                if exchange.responseStarted { return closeConnection() }
                exchange.abandonUpstream()
                self.exchange = nil
                return refuse(.bodyTooLarge)
            }
            if let upstream = exchange.upstreamHandler {
                upstream.send(.body(.byteBuffer(body)), flush: true)
            } else {
                exchange.bufferedBody.writeBuffer(&body)
            }
        case .end:
            guard let exchange else { return }
            exchange.requestEnded = true
            if let upstream = exchange.upstreamHandler {
                upstream.send(.end(nil), flush: true)
                armResponseDeadline(exchange)
            }
        }
    }

    /// Requests that arrived while another was being answered (HTTP/1.1 pipelining), replayed in order.
    private var pipelined: [HTTPServerRequestPart] = []
    private var pipelinedBytes = 0

    private func queuePipelined(_ part: HTTPServerRequestPart) {
        if case .body(let body) = part { pipelinedBytes += body.readableBytes }
        guard pipelinedBytes <= runtime.limits.maxRequestBodyBytes, pipelined.count < 1024 else {
            return closeConnection()
        }
        pipelined.append(part)
    }

    /// Hands queued pipelined parts to the handler until one of them starts a new exchange that is waiting.
    private func replayPipelined(context: ChannelHandlerContext) {
        while !pipelined.isEmpty, !closed {
            if let exchange, exchange.requestEnded { return }
            let part = pipelined.removeFirst()
            if case .body(let body) = part { pipelinedBytes -= body.readableBytes }
            handle(part, context: context)
        }
    }

    func read(context: ChannelHandlerContext) {
        if openingSession { return }
        // While a request is being answered, the next one waits (no pipelining); a body flows only as fast as
        // the endpoint takes it.
        if let exchange, exchange.requestEnded || exchange.upstream?.isWritable == false {
            exchange.readPending = true
            return
        }
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        exchange?.upstreamHandler?.readsAllowed = context.channel.isWritable
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let event = event as? ChannelEvent, event == .inputClosed else {
            return context.fireUserInboundEventTriggered(event)
        }
        // The client sent FIN. Idle: close now, so its slots are not held until the keep-alive timeout. In
        // an exchange: finish answering it, then close. During a handshake: remembered for the tunnel.
        if switchingToTunnel {
            clientInputClosedDuringSwitch = true
            return
        }
        guard let exchange else { return closeConnection() }
        exchange.clientInputClosed = true
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        exchange?.abandonUpstream()
        exchange = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if error is HTTPParserError, exchange == nil {
            refuse(.badRequest)
            return
        }
        connection.logger.debug("downstream error", metadata: ["error": "\(error)"])
        closeConnection()
    }

    // MARK: Request handling

    private func requestHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let listener = connection.listener
        let resolver = listener.resolver
        let peer = connection.directPeerIP
        if let peer {
            let fromForwarded = listener.configuration.clientIPHeader == .forwarded
            connection.clientIP = resolver.resolve(
                peer: peer,
                forwardedFor: fromForwarded ? [] : head.headers["X-Forwarded-For"],
                forwarded: fromForwarded ? head.headers["Forwarded"] : []
            )
        }
        let ipKey = connection.clientIP?.description ?? "unknown"
        if connection.countedIP == nil {
            guard runtime.acquireIP(ipKey) else { return refuse(.tooManyConnectionsPerIP) }
            connection.countedIP = ipKey
        }
        if runtime.isShuttingDown { return refuse(.shuttingDown) }
        let host = head.headers.first(name: "Host")
        let path = String(head.uri.prefix { $0 != "?" && $0 != "#" })
        guard let route = listener.routes.match(host: host, path: path),
            let cluster = runtime.cluster(named: route.cluster),
            let connector = runtime.connector(for: route.cluster)
        else {
            return refuse(.noRoute)
        }
        let isUpgrade = UpstreamRequestHead.isWebSocketUpgrade(head)
        if isUpgrade, let retryAfter = runtime.upgradeRetryAfter(ipKey) {
            return refuse(.upgradeRateLimited, headers: [("Retry-After", "\(max(1, Int(retryAfter.rounded(.up))))")])
        }
        let clusterConfiguration = cluster.configuration
        if isUpgrade, route.mode == .session, !WebSocketHandshake.isValidKey(head.headers.first(name: "Sec-WebSocket-Key") ?? "") {
            return refuse(.badRequest)
        }
        let balancing = AffinityKeyExtractor.balancingRequest(
            policy: clusterConfiguration.policy,
            clientIP: connection.clientIP,
            uri: head.uri,
            headers: head.headers
        )
        let selection = cluster.select(balancing, now: runtime.now())
        guard !selection.targets.isEmpty else {
            return refuse(.noHealthyEndpoint, headers: [("Retry-After", "\(cluster.retryAfter(now: runtime.now()))")])
        }
        if isUpgrade, route.mode == .session {
            return openSession(
                head: head, cluster: cluster, connector: connector,
                targets: Array(selection.targets.prefix(1 + clusterConfiguration.retries)),
                sticky: clusterConfiguration.policy.stickyCodec.map { ($0, selection.stickyEndpointID) }
            )
        }
        let exchange = Exchange(
            head: head,
            upstreamHead: UpstreamRequestHead.make(
                from: head,
                isUpgrade: isUpgrade,
                peerTrusted: peer.map(resolver.isTrusted) ?? false,
                directPeer: connection.directPeerIP?.description ?? "unknown",
                clientIP: connection.clientIP?.description,
                isTLS: connection.isTLS
            ),
            isUpgrade: isUpgrade,
            cluster: cluster,
            connector: connector,
            targets: selection.targets,
            attemptsLeft: 1 + clusterConfiguration.retries,
            stickyEndpointID: selection.stickyEndpointID,
            stickyCodec: clusterConfiguration.policy.stickyCodec
        )
        self.exchange = exchange
        connection.logger.debug("request", metadata: ["method": "\(head.method)", "uri": "\(head.uri)", "cluster": "\(cluster.name)", "upgrade": "\(isUpgrade)"])
        attempt(exchange)
    }

    // MARK: Session mode

    /// While a session's first node connection is being opened, the client's reads wait.
    private var openingSession = false

    /// Session mode: open the node connection first (trying `targets` in order), then answer the client's
    /// handshake and hand both to a ``SessionRelay`` (``SessionHandover``).
    private func openSession(
        head: HTTPRequestHead,
        cluster: ClusterRuntime,
        connector: UpstreamConnector,
        targets: [ClusterRuntime.Target],
        sticky: (codec: StickyCookieCodec, current: String?)?
    ) {
        guard let context else { return }
        openingSession = true
        let peer = connection.directPeerIP
        let upstreamHead = UpstreamRequestHead.make(
            from: head,
            isUpgrade: true,
            peerTrusted: peer.map(connection.listener.resolver.isTrusted) ?? false,
            directPeer: peer?.description ?? "unknown",
            clientIP: connection.clientIP?.description,
            isTLS: connection.isTLS
        )
        let dialer = SessionDialer(cluster: cluster, connector: connector, runtime: runtime, eventLoop: context.eventLoop, head: upstreamHead)
        let startedAt = NIODeadline.now()
        dialer.dial(targets) { [self] result in
            switch result {
            case .success(let opened):
                guard !closed, let context = self.context else {
                    opened.leg.close(code: 1001, reason: "client gone")
                    return
                }
                runtime.metrics.endpoint(cluster: cluster.name, endpoint: opened.target.id).upgrades.increment()
                runtime.metrics.handshake(cluster: cluster.name, seconds: Double((NIODeadline.now() - startedAt).nanoseconds) / 1e9)
                var response = SessionHandover.response(clientKey: head.headers.first(name: "Sec-WebSocket-Key") ?? "", node: opened.response, version: head.version)
                if let sticky, sticky.current != opened.target.id {
                    // Where a new connection of this client is placed first (the session itself moves freely).
                    let value = sticky.codec.encode(endpointID: opened.target.id, now: runtime.now())
                    response.headers.add(name: "Set-Cookie", value: sticky.codec.setCookieHeader(value: value, secure: connection.isTLS))
                }
                context.writeAndFlush(wrapOutboundOut(.head(response)), promise: nil)
                connection.logger.info("session open", metadata: ["cluster": "\(cluster.name)", "endpoint": "\(opened.target.id)"])
                let handover = SessionHandover(
                    downstream: context.channel,
                    downstreamHTTPHandler: self,
                    opened: opened,
                    dialer: dialer,
                    runtime: runtime,
                    connection: connection
                )
                context.eventLoop.assumeIsolated().execute { handover.perform() }
            case .failure:
                openingSession = false
                refuse(.upstreamUnavailable)
            }
        }
    }

    // MARK: Upstream attempts

    private func attempt(_ exchange: Exchange) {
        guard !closed, self.exchange === exchange else { return }
        guard exchange.attemptsLeft > 0, exchange.nextTarget < exchange.targets.count else {
            self.exchange = nil
            if exchange.attempted {
                return refuse(.upstreamUnavailable)
            }
            return refuse(.noHealthyEndpoint, headers: [("Retry-After", "\(exchange.cluster.retryAfter(now: runtime.now()))")])
        }
        let target = exchange.targets[exchange.nextTarget]
        exchange.nextTarget += 1
        let cluster = exchange.cluster
        guard cluster.acquire(target.id) else {
            runtime.metrics.upstreamFailure(cluster: cluster.name, endpoint: target.id, reason: .circuitOpen)
            return attempt(exchange)
        }
        exchange.attemptsLeft -= 1
        exchange.attempted = true
        let eventLoop = context!.eventLoop
        exchange.connector.connect(to: target.address, on: eventLoop).assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(let channel):
                channel.closeFuture.whenComplete { _ in cluster.release(target.id) }
                connected(channel, target: target, exchange: exchange)
            case .failure(let error):
                cluster.release(target.id)
                failedAttempt(exchange, target: target, reason: UpstreamFailureReason(connectError: error), error: error)
            }
        }
    }

    private func failedAttempt(_ exchange: Exchange, target: ClusterRuntime.Target, reason: UpstreamFailureReason, error: Error?) {
        exchange.cluster.recordAttempt(target.id, success: false, now: runtime.now())
        runtime.metrics.upstreamFailure(cluster: exchange.cluster.name, endpoint: target.id, reason: reason)
        connection.logger.info(
            "upstream attempt failed",
            metadata: ["endpoint": "\(target.id)", "reason": "\(reason.rawValue)", "error": "\(error.map { "\($0)" } ?? "-")"]
        )
        attempt(exchange)
    }

    private func connected(_ channel: Channel, target: ClusterRuntime.Target, exchange: Exchange) {
        guard !closed, self.exchange === exchange,
            let handler = try? channel.pipeline.syncOperations.handler(type: UpstreamHTTPHandler.self)
        else {
            channel.close(promise: nil)
            return
        }
        exchange.upstream = channel
        exchange.upstreamHandler = handler
        exchange.target = target
        handler.readsAllowed = context?.channel.isWritable ?? true
        handler.onEvent = { [weak self, weak exchange] event in
            guard let self, let exchange else { return }
            self.upstreamEvent(event, exchange: exchange)
        }
        handler.onWritable = { [weak self, weak exchange] in
            guard let self, let exchange, self.exchange === exchange, exchange.readPending, !exchange.requestEnded else { return }
            exchange.readPending = false
            self.context?.read()
        }
        var head = exchange.upstreamHead
        if !exchange.isUpgrade, exchange.requestEnded, exchange.bufferedBody.readableBytes == 0,
            head.headers["Content-Length"].isEmpty, head.method != .GET, head.method != .HEAD
        {
            head.headers.replaceOrAdd(name: "Content-Length", value: "0")
        }
        handler.send(.head(head), flush: false)
        if exchange.bufferedBody.readableBytes > 0 {
            handler.send(.body(.byteBuffer(exchange.bufferedBody)), flush: false)
        }
        if exchange.requestEnded {
            handler.send(.end(nil), flush: true)
            armResponseDeadline(exchange)
        } else {
            channel.flush()
        }
    }

    /// Starts the endpoint's `response_timeout` once the whole request has been sent (a slow upload is not
    /// the endpoint's fault).
    private func armResponseDeadline(_ exchange: Exchange) {
        guard let target = exchange.target, let upstream = exchange.upstream, exchange.responseDeadline == nil else { return }
        let timeout = TimeAmount(exchange.cluster.configuration.responseTimeout)
        exchange.responseDeadline = upstream.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self, weak exchange] in
            guard let self, let exchange else { return }
            self.responseTimedOut(exchange, target: target)
        }
    }

    private func responseTimedOut(_ exchange: Exchange, target: ClusterRuntime.Target) {
        guard !closed, self.exchange === exchange, !exchange.responseStarted else { return }
        exchange.abandonUpstream()
        if exchange.isUpgrade {
            return failedAttempt(exchange, target: target, reason: .responseTimeout, error: nil)
        }
        exchange.cluster.recordAttempt(target.id, success: false, now: runtime.now())
        runtime.metrics.upstreamFailure(cluster: exchange.cluster.name, endpoint: target.id, reason: .responseTimeout)
        self.exchange = nil
        refuse(.upstreamTimeout)
    }

    private func upstreamEvent(_ event: UpstreamHTTPHandler.Event, exchange: Exchange) {
        guard !closed, self.exchange === exchange, let context, let target = exchange.target else { return }
        switch event {
        case .head(let head):
            exchange.responseDeadline?.cancel()
            if exchange.isUpgrade && head.status == .switchingProtocols {
                exchange.cluster.recordAttempt(target.id, success: true, now: runtime.now())
                return completeUpgrade(exchange, response: head, context: context)
            }
            if head.status.code >= 500 && exchange.isUpgrade && exchange.attemptsLeft > 0 && exchange.nextTarget < exchange.targets.count {
                exchange.abandonUpstream()
                return failedAttempt(exchange, target: target, reason: .serverError, error: nil)
            }
            exchange.cluster.recordAttempt(target.id, success: head.status.code < 500, now: runtime.now())
            runtime.metrics.endpoint(cluster: exchange.cluster.name, endpoint: target.id).httpRequests.increment()
            exchange.responseStarted = true
            let clientGone = exchange.clientInputClosed
            // After a request that asked for any protocol upgrade, the HTTP decoder has stopped parsing, so that
            // connection cannot carry another request.
            let askedForUpgrade = exchange.head.headers[canonicalForm: "Connection"].contains { $0.lowercased() == "upgrade" }
            // HTTP/1.0 has no chunking: a response without a length ends when the connection does. A HEAD
            // response without a length may be re-framed by the encoder, so it ends the connection too.
            let unsized = head.headers["Content-Length"].isEmpty && head.status != .noContent && head.status != .notModified
            let needsClose = unsized && (exchange.head.version == .http1_0 || exchange.head.method == .HEAD)
            exchange.keepAlive = !exchange.isUpgrade && !askedForUpgrade && !needsClose && !clientGone && exchange.head.isKeepAlive && !runtime.isShuttingDown
            var response = head
            for name in HopByHop.names(in: head.headers) { response.headers.remove(name: name) }
            if !exchange.keepAlive {
                response.headers.replaceOrAdd(name: "Connection", value: "close")
            } else if exchange.head.version == .http1_0 {
                response.headers.replaceOrAdd(name: "Connection", value: "keep-alive")
            }
            response.version = exchange.head.version
            context.write(wrapOutboundOut(.head(response)), promise: nil)
        case .body(let body):
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        case .end:
            exchange.abandonUpstream()
            self.exchange = nil
            if exchange.keepAlive && exchange.requestEnded {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                if pipelined.isEmpty {
                    headGuard.arm(idleTimeout: TimeAmount(runtime.limits.httpKeepAliveTimeout))
                } else {
                    replayPipelined(context: context)
                }
                if exchange.readPending { context.read() }
            } else {
                context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            }
        case .failed(let error):
            exchange.abandonUpstream()
            if exchange.responseStarted {
                return closeConnection()
            }
            let retryable = exchange.isUpgrade || [.GET, .HEAD, .OPTIONS].contains(exchange.head.method)
            let reason: UpstreamFailureReason = error is NIOSSLError ? .tlsFailed : .closedBeforeResponse
            if retryable {
                failedAttempt(exchange, target: target, reason: reason, error: error)
            } else {
                exchange.cluster.recordAttempt(target.id, success: false, now: runtime.now())
                runtime.metrics.upstreamFailure(cluster: exchange.cluster.name, endpoint: target.id, reason: reason)
                self.exchange = nil
                refuse(.upstreamUnavailable)
            }
        }
    }

    // MARK: Upgrade

    private func completeUpgrade(_ exchange: Exchange, response: HTTPResponseHead, context: ChannelHandlerContext) {
        guard let upstream = exchange.upstream, let target = exchange.target else { return }
        let clusterName = exchange.cluster.name
        let endpointMetrics = runtime.metrics.endpoint(cluster: clusterName, endpoint: target.id)
        endpointMetrics.upgrades.increment()
        runtime.metrics.handshake(cluster: clusterName, seconds: Double((NIODeadline.now() - exchange.startedAt).nanoseconds) / 1e9)
        var headers = response.headers.map { ($0.name, $0.value) }
        if let codec = exchange.stickyCodec, exchange.stickyEndpointID != target.id {
            let value = codec.encode(endpointID: target.id, now: runtime.now())
            headers.append(("Set-Cookie", codec.setCookieHeader(value: value, secure: connection.isTLS)))
        }
        let upstreamHandler = exchange.upstreamHandler
        upstreamHandler?.onEvent = nil
        upstreamHandler?.onWritable = nil
        self.exchange = nil
        switchingToTunnel = true
        let downstream = context.channel
        let sync = downstream.pipeline.syncOperations
        guard let encoder = try? sync.context(handlerType: HTTPResponseEncoder.self) else {
            upstream.close(promise: nil)
            return closeConnection()
        }
        // The 101 goes out byte for byte as the endpoint sent it (plus our cookie), below the HTTP encoder.
        sync.removeHandler(context: encoder, promise: nil)
        context.writeAndFlush(NIOAny(RawHTTPResponse.head(status: 101, reason: "Switching Protocols", headers: headers)), promise: nil)
        connection.logger.info("tunnel open", metadata: ["cluster": "\(clusterName)", "endpoint": "\(target.id)"])
        let cluster = exchange.cluster
        let connection = self.connection
        let downstreamRelay = TunnelRelayHandler(side: .downstream)
        let upstreamRelay = TunnelRelayHandler(side: .upstream)
        let tunnel = Tunnel(
            id: connection.id,
            cluster: clusterName,
            endpoint: target.id,
            downstream: downstreamRelay,
            upstream: upstreamRelay,
            eventLoop: downstream.eventLoop,
            keepAlive: cluster.configuration.keepAlive,
            idleTimeout: runtime.limits.idleTimeout,
            metrics: endpointMetrics,
            logger: { connection.logger }
        )
        let handover = TunnelSwitch(
            tunnel: tunnel,
            downstream: downstream,
            upstream: upstream,
            downstreamHTTPHandler: self,
            cluster: cluster,
            runtime: runtime,
            metrics: endpointMetrics,
            downstreamInputClosed: { [self] in clientInputClosedDuringSwitch },
            upstreamInputClosed: { upstreamHandler?.inputClosedAfterResponse == true }
        )
        // Swap the pipelines on the next tick, outside the decoders' callbacks. Bytes that arrive meanwhile stay
        // buffered in the decoders, which stopped parsing at the upgrade and hand them on when removed.
        context.eventLoop.assumeIsolated().execute {
            handover.perform(downstreamRelay: downstreamRelay, upstreamRelay: upstreamRelay)
        }
    }

    // MARK: Refusals

    private func refuse(_ refusal: GatewayRefusal, headers extra: [(String, String)] = []) {
        guard let context, !closed else { return }
        runtime.metrics.refusal(listener: connection.listener.name, reason: refusal)
        connection.logger.info("refused", metadata: ["reason": "\(refusal.rawValue)", "status": "\(refusal.status)", "client": "\(connection.clientIP?.description ?? "-")"])
        let body = refusal.message + "\n"
        var headers = HTTPHeaders([
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", "\(body.utf8.count)"),
            ("Connection", "close"),
        ])
        headers.add(contentsOf: extra)
        let head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: refusal.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
        closed = true
    }

    private func closeConnection() {
        closed = true
        exchange?.abandonUpstream()
        exchange = nil
        context?.close(promise: nil)
    }
}

@available(*, unavailable)
extension DownstreamHandler: Sendable {}

extension BalancingPolicyConfiguration {
    var stickyCodec: StickyCookieCodec? {
        if case .stickyCookie(let configuration) = self { return StickyCookieCodec(configuration: configuration) }
        return nil
    }
}
