import NIOCore
import NIOHTTP1
import TetherGatewayCore

/// Completes a session-mode client's WebSocket handshake once the gateway holds a node connection for it:
/// the gateway's own `101` (its accept for the client's key, the node's chosen subprotocol, no extensions),
/// then the client's pipeline swaps from HTTP to frames and a ``SessionRelay`` takes both connections.
///
/// Order, as in ``TunnelSwitch``: the HTTP handler, head guard and response encoder leave (the `101` has
/// gone through the encoder by then); the frame handlers go in right after the HTTP request decoder, which
/// leaves last, on a later tick, handing on any frames the client sent after its request
/// (``SessionLegHandler/install(after:in:on:maxMessageBytes:then:)``). The relay starts (and is registered)
/// once it is gone. Threading: runs on the client channel's event loop.
struct SessionHandover {
    /// Largest message accepted from a client.
    static let maxClientMessageBytes = 1 << 20

    let downstream: Channel
    let downstreamHTTPHandler: RemovableChannelHandler
    let opened: SessionDialer.Opened
    let dialer: SessionDialer
    let runtime: GatewayRuntime
    let connection: ConnectionContext

    /// The `101` for a client whose request carried `clientKey`.
    static func response(clientKey: String, node: HTTPResponseHead, version: HTTPVersion) -> HTTPResponseHead {
        var headers = HTTPHeaders([
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", WebSocketHandshake.accept(forKey: clientKey)),
        ])
        if let subprotocol = node.headers.first(name: "Sec-WebSocket-Protocol") {
            headers.add(name: "Sec-WebSocket-Protocol", value: subprotocol)
        }
        return HTTPResponseHead(version: version, status: .switchingProtocols, headers: headers)
    }

    func perform() {
        let clientLeg = SessionLegHandler(role: .client)
        do {
            let sync = downstream.pipeline.syncOperations
            let decoder = try sync.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
            let encoder = try sync.context(handlerType: HTTPResponseEncoder.self)
            let guardContext = try sync.context(handlerType: RequestHeadGuardHandler.self)
            sync.removeHandler(downstreamHTTPHandler, promise: nil)
            sync.removeHandler(context: guardContext, promise: nil)
            sync.removeHandler(context: encoder, promise: nil)
            try clientLeg.install(after: decoder, in: sync, on: downstream.eventLoop, maxMessageBytes: Self.maxClientMessageBytes) {
                activate(clientLeg)
            }
        } catch {
            connection.logger.debug("connection closed during the switch to session", metadata: ["error": "\(error)"])
            opened.leg.close(code: 1001, reason: "client gone")
            downstream.close(promise: nil)
        }
    }

    private func activate(_ clientLeg: SessionLegHandler) {
        let relay = SessionRelay(
            id: connection.id,
            client: clientLeg,
            upstream: opened.leg,
            endpoint: opened.target.id,
            cluster: dialer.cluster,
            dialer: dialer,
            runtime: runtime,
            logger: connection.logger
        )
        runtime.tunnels.register(relay)
        relay.start()
        downstream.read()
        opened.leg.context?.channel.read()
        if runtime.isShuttingDown {
            relay.initiateClose(.shutdown)
        } else if dialer.cluster.adminState(of: opened.target.id) ?? .drain == .drain {
            // Drained while this handshake was in flight: move it like the others.
            relay.migrate(.drain)
        }
    }
}
