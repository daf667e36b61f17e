import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP forwarder on loopback port 0 in front of one target, whose traffic can be frozen: while frozen it
/// reads nothing from either side, so the target looks alive (its socket stays open) but answers nothing,
/// which is how a hung node looks to a keep-alive. For live tests only.
final class FreezableProxy: Sendable {
    private let channel: Channel
    private let connections = NIOLockedValueBox<[Channel]>([])
    private let frozen = NIOLockedValueBox(false)

    var port: Int { channel.localAddress!.port! }

    static func start(targetPort: Int) async throws -> FreezableProxy {
        let box = NIOLockedValueBox<FreezableProxy?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                ClientBootstrap(group: inbound.eventLoop)
                    .channelOption(.autoRead, value: false)
                    .connect(host: "127.0.0.1", port: targetPort)
                    .flatMap { outbound in
                        inbound.eventLoop.makeCompletedFuture {
                            try inbound.pipeline.syncOperations.addHandler(Forward(to: outbound))
                            try outbound.pipeline.syncOperations.addHandler(Forward(to: inbound))
                            box.withLockedValue { $0 }?.track(inbound, outbound)
                            inbound.read()
                            outbound.read()
                        }
                    }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let proxy = FreezableProxy(channel: channel)
        box.withLockedValue { $0 = proxy }
        return proxy
    }

    private init(channel: Channel) {
        self.channel = channel
    }

    private func track(_ channels: Channel...) {
        connections.withLockedValue { $0 += channels }
    }

    /// Stops forwarding in both directions on every connection (current and future reads).
    func freeze() {
        frozen.withLockedValue { $0 = true }
        for connection in connections.withLockedValue({ $0 }) {
            connection.eventLoop.execute {
                (try? connection.pipeline.syncOperations.handler(type: Forward.self))?.frozen = true
            }
        }
    }

    func stop() async {
        for connection in connections.withLockedValue({ $0 }) { try? await connection.close() }
        try? await channel.close()
    }

    /// Writes what one side reads to the other, and asks for more only while not frozen.
    private final class Forward: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let peer: Channel
        var frozen = false

        init(to peer: Channel) {
            self.peer = peer
        }

        func channelActive(context: ChannelHandlerContext) {
            context.read()
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !frozen else { return }
            peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            if !frozen { context.read() }
        }

        func channelInactive(context: ChannelHandlerContext) {
            peer.close(promise: nil)
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            context.close(promise: nil)
        }
    }
}
