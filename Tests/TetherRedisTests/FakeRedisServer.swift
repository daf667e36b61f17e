import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A loopback TCP server that answers the n-th read on a connection with `replies[n]` (no reply past the end),
/// to make the client face a server that misbehaves in a chosen way.
final class FakeRedisServer: Sendable {
    let channel: any Channel
    var port: Int { channel.localAddress!.port! }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let replies: [String]
        var reads = 0
        init(replies: [String]) { self.replies = replies }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            defer { reads += 1 }
            guard reads < replies.count else { return }
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: replies[reads])), promise: nil)
        }
    }

    init(replies: [String]) async throws {
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(Handler(replies: replies))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func close() async {
        try? await channel.close()
    }
}
