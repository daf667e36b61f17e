import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import TetherGatewayCore

/// One active health check: `GET path` on a fresh connection, resolving to the response status, or failing
/// on connect error, TLS error, early close or timeout.
enum HealthProbe {
    static func check(
        address: HostAndPort,
        path: String,
        timeout: TimeAmount,
        tls: NIOSSLContext?,
        serverName: String?,
        on eventLoop: EventLoop
    ) -> EventLoopFuture<Int> {
        let promise = eventLoop.makePromise(of: Int.self)
        let host = address.host
        let serverName = serverName ?? host
        let hostHeader = address.description
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName.isIPAddressLiteral ? nil : serverName))
                    }
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(StatusHandler(promise: promise))
                }
            }
        let timer = eventLoop.scheduleTask(in: timeout) {
            promise.fail(ChannelError.connectTimeout(timeout))
        }
        bootstrap.connect(host: host, port: address.port).whenComplete { result in
            switch result {
            case .success(let channel):
                var headers = HTTPHeaders()
                headers.add(name: "Host", value: hostHeader)
                headers.add(name: "User-Agent", value: "tether-health-check")
                headers.add(name: "Connection", value: "close")
                let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
            case .failure(let error):
                promise.fail(error)
            }
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return promise.futureResult
    }

    private final class StatusHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        let promise: EventLoopPromise<Int>

        init(promise: EventLoopPromise<Int>) {
            self.promise = promise
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .head(let head) = unwrapInboundIn(data) {
                promise.succeed(Int(head.status.code))
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(ChannelError.eof)
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            promise.fail(error)
            context.close(promise: nil)
        }
    }
}
