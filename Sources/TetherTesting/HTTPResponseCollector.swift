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

    static let maxBody = 64 * 1024

    private let request: HTTPRequestHead
    private let promise: EventLoopPromise<CollectedHTTPResponse>
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    init(request: HTTPRequestHead, promise: EventLoopPromise<CollectedHTTPResponse>) {
        self.request = request
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(self.wrapOutboundOut(.head(self.request)), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(var part):
            if self.body.readableBytes < Self.maxBody {
                self.body.writeBuffer(&part)
            }
        case .end:
            guard let head = self.head else { return }
            self.promise.succeed(
                CollectedHTTPResponse(
                    status: Int(head.status.code),
                    headers: head.headers.map { ($0.name, $0.value) },
                    body: String(buffer: self.body)
                )
            )
            context.close(promise: nil)
        }
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
