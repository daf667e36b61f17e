import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The result of a successful opening handshake.
struct ClientHandshakeResult: Sendable {
    var status: Int
    var headers: [(String, String)]
}

/// Performs the client side of the WebSocket opening handshake (RFC 6455 §4.1), then swaps the HTTP
/// handlers for WebSocket ones.
///
/// Sends `request` once the channel is active. On a 101 whose `Upgrade` and `Sec-WebSocket-Accept` are
/// right, it adds `webSocketHandlers()` after itself, removes itself, the HTTP encoder and the HTTP decoder
/// (which forwards any bytes that followed the 101 to the frame decoder), and succeeds `promise`. Any other
/// status fails `promise` with ``WebSocketTestClientError/Code/upgradeRejected`` carrying the response, and
/// closes. `promise` is completed exactly once. Event-loop confined.
final class ClientHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let request: HTTPRequestHead
    private let expectedAccept: String
    private let promise: EventLoopPromise<ClientHandshakeResult>
    private let httpEncoder: HTTPRequestEncoder
    private let httpDecoder: ByteToMessageHandler<HTTPResponseDecoder>
    private let webSocketHandlers: () -> [ChannelHandler]
    private var response = HTTPResponseAccumulator()

    init(
        request: HTTPRequestHead,
        key: String,
        promise: EventLoopPromise<ClientHandshakeResult>,
        httpEncoder: HTTPRequestEncoder,
        httpDecoder: ByteToMessageHandler<HTTPResponseDecoder>,
        webSocketHandlers: @escaping () -> [ChannelHandler]
    ) {
        self.request = request
        self.expectedAccept = Base64.webSocketAccept(forKey: key)
        self.promise = promise
        self.httpEncoder = httpEncoder
        self.httpDecoder = httpDecoder
        self.webSocketHandlers = webSocketHandlers
    }

    func channelActive(context: ChannelHandlerContext) {
        HTTPResponseAccumulator.send(self.request, context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let (head, body) = self.response.add(self.unwrapInboundIn(data)) else { return }
        if head.status == .switchingProtocols {
            // The decoder stops parsing after a 101's end; bytes after it are forwarded once it is removed.
            return self.switchProtocols(context: context, head: head)
        }
        self.promise.fail(
            WebSocketTestClientError(
                .upgradeRejected,
                status: Int(head.status.code),
                headers: head.headers.map { ($0.name, $0.value) },
                body: String(buffer: body),
                detail: "server answered \(head.status.code) instead of 101"
            )
        )
        context.close(promise: nil)
    }

    private func switchProtocols(context: ChannelHandlerContext, head: HTTPResponseHead) {
        let headers = head.headers.map { ($0.name, $0.value) }
        let upgrade = head.headers["Upgrade"].first?.lowercased()
        let accept = head.headers["Sec-WebSocket-Accept"].first
        guard upgrade == "websocket", accept == self.expectedAccept else {
            self.promise.fail(
                WebSocketTestClientError(
                    .invalidHandshake,
                    status: 101,
                    headers: headers,
                    detail: "Upgrade=\(upgrade ?? "nil") Sec-WebSocket-Accept=\(accept ?? "nil"), expected \(self.expectedAccept)"
                )
            )
            context.close(promise: nil)
            return
        }
        do {
            let pipeline = context.pipeline.syncOperations
            try pipeline.addHandlers(self.webSocketHandlers(), position: .after(self))
            pipeline.removeHandler(context: context, promise: nil)
            pipeline.removeHandler(self.httpEncoder, promise: nil)
            pipeline.removeHandler(self.httpDecoder, promise: nil)
            self.promise.succeed(ClientHandshakeResult(status: 101, headers: headers))
        } catch {
            self.promise.fail(error)
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is HandshakeTimeoutEvent {
            self.promise.fail(WebSocketTestClientError(.timeout, detail: "no handshake response in time"))
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(
            WebSocketTestClientError(.connectionClosed, detail: "closed before the handshake completed")
        )
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.promise.fail(WebSocketTestClientError(.protocolViolation, detail: "handshake: \(error)"))
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension ClientHandshakeHandler: Sendable {}
