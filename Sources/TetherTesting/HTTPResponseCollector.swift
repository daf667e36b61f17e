import NIOCore
import NIOHTTP1

/// A complete HTTP response as the test client saw it.
struct CollectedHTTPResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: String
}

/// Sends one HTTP request when the channel becomes active and collects the response (body capped at
/// 64 KiB). Used by ``WebSocketTestClient/httpGet(host:port:path:headers:proxyProtocolV1Source:timeout:group:)``.
///
/// Completes `promise` exactly once: with the response on `.end`, or with an error when the channel closes
/// first or a ``HandshakeTimeoutEvent`` arrives. Closes the channel when done. Event-loop confined.
final class HTTPResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let request: HTTPRequestHead
    private let promise: EventLoopPromise<CollectedHTTPResponse>
    private var response = HTTPResponseAccumulator()

    init(request: HTTPRequestHead, promise: EventLoopPromise<CollectedHTTPResponse>) {
        self.request = request
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        HTTPResponseAccumulator.send(self.request, context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let (head, body) = self.response.add(self.unwrapInboundIn(data)) else { return }
        self.promise.succeed(
            CollectedHTTPResponse(
                status: Int(head.status.code),
                headers: head.headers.map { ($0.name, $0.value) },
                body: String(buffer: body)
            )
        )
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is HandshakeTimeoutEvent {
            self.promise.fail(WebSocketTestClientError(.timeout, detail: "no complete HTTP response in time"))
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(WebSocketTestClientError(.connectionClosed, detail: "closed before a complete response"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.promise.fail(WebSocketTestClientError(.protocolViolation, detail: "\(error)"))
        context.close(promise: nil)
    }
}

/// Fired into a client pipeline when its deadline passes.
struct HandshakeTimeoutEvent: Sendable {}

@available(*, unavailable)
extension HTTPResponseCollector: Sendable {}
