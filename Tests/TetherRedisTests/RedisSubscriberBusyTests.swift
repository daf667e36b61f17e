import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TetherRedis
import TetherTesting
import Testing

/// A resubscribe that Redis answers with BUSY (a long script is running) must not cost any subscription:
/// the subscriber gives up that connection and subscribes everything again on the next one.
@Suite struct RedisSubscriberBusyTests {
    /// Connection 0 confirms `SUBSCRIBE a b`, then is closed by the server; connection 1 answers the
    /// resubscribe with BUSY; connection 2 confirms it and publishes one message on `b`.
    final class ScriptedServer: Sendable {
        let channel: any Channel
        let subscribes = NIOLockedValueBox<[Int: [String]]>([:])

        final class Handler: ChannelInboundHandler {
            typealias InboundIn = ByteBuffer
            typealias OutboundOut = ByteBuffer
            let index: Int
            let server: ScriptedServer
            init(index: Int, server: ScriptedServer) {
                self.index = index
                self.server = server
            }

            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                let text = String(buffer: self.unwrapInboundIn(data))
                if text.contains("HELLO") {
                    context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: "%0\r\n")), promise: nil)
                }
                guard text.contains("SUBSCRIBE") else { return }
                self.server.subscribes.withLockedValue { $0[self.index, default: []].append(text) }
                if self.index == 1 {
                    context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: "-BUSY Redis is busy running a script\r\n")), promise: nil)
                    return
                }
                let confirm = ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n>3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
                context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: confirm)), promise: nil)
                if self.index == 0 {
                    context.close(promise: nil)
                } else {
                    let message = ">3\r\n$7\r\nmessage\r\n$1\r\nb\r\n$5\r\nhello\r\n"
                    context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: message)), promise: nil)
                }
            }
        }

        init() async throws {
            let box = NIOLockedValueBox<ScriptedServer?>(nil)
            let connections = NIOLockedValueBox(0)
            self.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .childChannelInitializer { child in
                    child.eventLoop.makeCompletedFuture {
                        let index = connections.withLockedValue { count in
                            defer { count += 1 }
                            return count
                        }
                        try child.pipeline.syncOperations.addHandler(Handler(index: index, server: box.withLockedValue { $0! }))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            box.withLockedValue { $0 = self }
        }
    }

    @Test func aBusyResubscribeIsRetriedOnTheNextConnectionWithEveryName() async throws {
        let server = try await ScriptedServer()
        let configuration = RedisConfiguration(
            port: server.channel.localAddress!.port!,
            reconnectBackoff: .init(initial: .milliseconds(20), maximum: .milliseconds(100))
        )
        let harness = RedisSubscriberLiveTests.Harness(configuration)
        try await harness.subscriber.start()
        try await harness.subscriber.subscribe(["a", "b"])
        let received = await harness.messages.wait(for: 1)
        #expect(received.map { String(buffer: $0.payload) } == ["hello"], "the subscription to b survived the BUSY reply")
        let subscribes = server.subscribes.withLockedValue { $0 }
        #expect(subscribes[2]?.count == 1)
        #expect(subscribes[2]?.first.map { $0.contains("$1\r\na\r\n") && $0.contains("$1\r\nb\r\n") } == true, "both names were sent again")
        await harness.subscriber.shutdown()
        try await server.channel.close()
    }
}
