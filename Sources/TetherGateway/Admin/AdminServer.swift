import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import TetherGatewayCore

/// Serves ``AdminAPI`` over HTTP/1.1 on its own listener (keep-alive, small bodies only).
public final class AdminServer: Sendable {
    private let api: AdminAPI
    private let address: HostAndPort
    private let group: EventLoopGroup
    private let channel = NIOLockedValueBox<Channel?>(nil)

    public init(api: AdminAPI, address: HostAndPort, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.api = api
        self.address = address
        self.group = group
    }

    public func start() async throws {
        let api = self.api
        let bound = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(AdminHTTPHandler(api: api))
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
        channel.withLockedValue { $0 = bound }
    }

    public var localAddress: SocketAddress? { channel.withLockedValue { $0?.localAddress } }

    public func stop() async {
        try? await channel.withLockedValue { $0 }?.close()
    }
}

/// Reads one request at a time, asks the API, writes the answer.
final class AdminHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let api: AdminAPI
    private var head: HTTPRequestHead?

    init(api: AdminAPI) {
        self.api = api
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            let api = self.api
            let loop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: loop)
            let method = head.method.rawValue
            let uri = head.uri
            let authorization = head.headers.first(name: "Authorization")
            let keepAlive = head.isKeepAlive
            Task {
                let response = await api.handle(method: method, path: uri, authorization: authorization)
                loop.execute {
                    let (handler, context) = bound.value
                    handler.write(response, keepAlive: keepAlive, context: context)
                }
            }
        }
    }

    private func write(_ response: AdminAPI.Response, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: "\(response.body.utf8.count)")
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(.init(version: .http1_1, status: .init(statusCode: response.status), headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: response.body)))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension AdminHTTPHandler: Sendable {}
