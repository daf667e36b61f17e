import NIOCore
import NIOHTTP1

/// Hands a downstream and an upstream connection over from their HTTP handlers to a ``Tunnel``, once the
/// endpoint's `101` has been relayed to the client.
///
/// Order matters, and is the contract here: the relay handlers go in right after the HTTP decoders; the HTTP
/// handlers, head guard and request encoder come out; then the response decoder leaves, handing on the
/// endpoint's first frames (after the `101`), and only then the request decoder, handing on the client's.
/// A decoder leaves its pipeline only on the next tick, and until then the response decoder would take the
/// relay's writes for HTTP parts, so each step waits for the previous one. The tunnel is registered (and so
/// reachable by drains, sweeps and shutdown) only once both decoders are gone; at that point the bytes they
/// handed on are flushed, a FIN either side sent meanwhile is passed on, and held reads are issued.
///
/// Threading: runs on the connections' shared event loop.
struct TunnelSwitch {
    let tunnel: Tunnel
    let downstream: Channel
    let upstream: Channel
    /// The downstream connection's HTTP handler, removed from its pipeline.
    let downstreamHTTPHandler: RemovableChannelHandler
    let cluster: ClusterRuntime
    let runtime: GatewayRuntime
    let metrics: EndpointMetrics
    /// Whether the client, or the endpoint, sent FIN after the handshake and before the tunnel took over.
    let downstreamInputClosed: () -> Bool
    let upstreamInputClosed: () -> Bool

    func perform(downstreamRelay: TunnelRelayHandler, upstreamRelay: TunnelRelayHandler) {
        do {
            let downSync = downstream.pipeline.syncOperations
            let upSync = upstream.pipeline.syncOperations
            let downDecoder = try downSync.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
            let upDecoder = try upSync.context(handlerType: ByteToMessageHandler<HTTPResponseDecoder>.self)
            let guardContext = try downSync.context(handlerType: RequestHeadGuardHandler.self)
            let upHandler = try upSync.context(handlerType: UpstreamHTTPHandler.self)
            let upEncoder = try upSync.context(handlerType: HTTPRequestEncoder.self)
            try downSync.addHandler(downstreamRelay, position: .after(downDecoder.handler))
            try upSync.addHandler(upstreamRelay, position: .after(upDecoder.handler))
            downSync.removeHandler(downstreamHTTPHandler, promise: nil)
            downSync.removeHandler(context: guardContext, promise: nil)
            upSync.removeHandler(context: upHandler, promise: nil)
            upSync.removeHandler(context: upEncoder, promise: nil)
            let loop = downstream.eventLoop
            let upRemoved = loop.makePromise(of: Void.self)
            upSync.removeHandler(context: upDecoder, promise: upRemoved)
            upRemoved.futureResult.assumeIsolated().whenComplete { _ in
                let downRemoved = loop.makePromise(of: Void.self)
                downSync.removeHandler(context: downDecoder, promise: downRemoved)
                downRemoved.futureResult.assumeIsolated().whenComplete { _ in
                    activate()
                }
            }
        } catch {
            // A leg closed before the switch (its pipeline is gone): end both; nothing was registered.
            tunnel.logger.debug("connection closed during the switch to tunnel", metadata: ["error": "\(error)"])
            tunnel.finish()
            upstream.close(promise: nil)
            downstream.close(promise: nil)
        }
    }

    private func activate() {
        guard !tunnel.isFinished else { return }
        let metrics = self.metrics
        metrics.tunnelsActive.increment()
        tunnel.onFinish = { tunnel in
            metrics.tunnelsActive.decrement()
            let counts = tunnel.messageCounts
            tunnel.logger.info(
                "tunnel closed",
                metadata: ["endpoint": "\(tunnel.endpoint)", "messages_down": "\(counts.toDownstream)", "messages_up": "\(counts.toUpstream)"]
            )
        }
        runtime.tunnels.register(tunnel)
        downstream.flush()
        upstream.flush()
        if downstreamInputClosed() { tunnel.inputClosed(.downstream) }
        if upstreamInputClosed() { tunnel.inputClosed(.upstream) }
        downstream.read()
        upstream.read()
        if !downstream.isActive || !upstream.isActive {
            tunnel.finish()
        } else if runtime.isShuttingDown {
            tunnel.initiateClose(.shutdown)
        } else if runtime.cluster(named: cluster.name) !== cluster || cluster.adminState(of: tunnel.endpoint) ?? .drain == .drain {
            // The endpoint (or its whole cluster) was drained or removed while this handshake was in flight,
            // after the drain had collected its tunnels: close this one too.
            metrics.drainCloses.increment()
            tunnel.initiateClose(.drain)
        }
    }
}
