import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TetherRedis
import TetherTesting
import Testing

/// The subscriber's connection health: a connection that stops answering (a silently dead peer) is replaced,
/// and subscribe calls made while a new connection re-subscribes wait for it.
@Suite struct RedisSubscriberHealthTests {
    /// Connection 0 confirms `SUBSCRIBE a` and then never answers anything again; connection 1 confirms it and
    /// publishes one message.
    final class MuteServer: Sendable {
        let channel: any Channel

        final class Handler: ChannelInboundHandler {
            typealias InboundIn = ByteBuffer
            typealias OutboundOut = ByteBuffer
            let index: Int
            init(index: Int) { self.index = index }

            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                let text = String(buffer: self.unwrapInboundIn(data))
                if text.contains("HELLO") {
                    context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: "%0\r\n")), promise: nil)
                }
                guard text.contains("SUBSCRIBE") else { return }  // PINGs go unanswered
                var reply = ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
                if self.index > 0 { reply += ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$4\r\nback\r\n" }
                context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: reply)), promise: nil)
            }
        }

        init() async throws {
            let connections = NIOLockedValueBox(0)
            self.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .childChannelInitializer { child in
                    child.eventLoop.makeCompletedFuture {
                        let index = connections.withLockedValue { count in
                            defer { count += 1 }
                            return count
                        }
                        try child.pipeline.syncOperations.addHandler(Handler(index: index))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }
    }

    @Test func aConnectionThatStopsAnsweringPingsIsReplaced() async throws {
        let server = try await MuteServer()
        let configuration = RedisConfiguration(
            port: server.channel.localAddress!.port!,
            commandTimeout: .milliseconds(300),
            reconnectBackoff: .init(initial: .milliseconds(20), maximum: .milliseconds(100)),
            pubSubPingInterval: .milliseconds(100)
        )
        let harness = RedisSubscriberLiveTests.Harness(configuration)
        try await harness.subscriber.start()
        try await harness.subscriber.subscribe(["a"])
        let received = await harness.messages.wait(for: 1)
        #expect(received.map { String(buffer: $0.payload) } == ["back"], "re-subscribed on a new connection")
        #expect(harness.events.items.prefix(3) == ["connected 0", "disconnected", "connected 1"])
        await harness.subscriber.shutdown()
        try await server.channel.close()
    }

    @Test(arguments: [RedisConfiguration.ProtocolVersion.resp3, .resp2])
    func aRealRedisAnswersThePingsOfASubscribedConnection(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let server = try await RedisServerProcess.start()
        defer { server.cleanup() }
        let configuration = RedisTestSupport.configuration(for: server) {
            $0.protocolVersion = version
            $0.pubSubPingInterval = .milliseconds(30)
        }
        let harness = RedisSubscriberLiveTests.Harness(configuration)
        let publisher = RedisTestSupport.client(configuration)
        try await harness.subscriber.start()
        try await harness.subscriber.subscribe(["p"])
        try await Task.sleep(for: .milliseconds(400))  // a dozen pings answered while subscribed
        #expect(try await publisher.send("PUBLISH", "p", "still here") == .integer(1))
        #expect(await harness.messages.wait(for: 1).map { String(buffer: $0.payload) } == ["still here"])
        #expect(harness.events.items == ["connected 0"], "no ping was taken for a dead connection")
        await harness.subscriber.shutdown()
        await publisher.shutdown()
    }

    /// Connection 0 confirms `SUBSCRIBE a` and is closed; connection 1 confirms the resubscribe of `a` only
    /// after 500 ms, then confirms `SUBSCRIBE b` and publishes on `b`.
    final class SlowResubscribeServer: Sendable {
        let channel: any Channel

        final class Handler: ChannelInboundHandler {
            typealias InboundIn = ByteBuffer
            typealias OutboundOut = ByteBuffer
            let index: Int
            init(index: Int) { self.index = index }

            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                let text = String(buffer: self.unwrapInboundIn(data))
                if text.contains("HELLO") {
                    context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: "%0\r\n")), promise: nil)
                }
                guard text.contains("SUBSCRIBE") else { return }
                let confirmA = ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
                if self.index == 0 {
                    context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: confirmA)), promise: nil)
                    context.close(promise: nil)
                } else if text.contains("$1\r\na\r\n") {
                    let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                    context.eventLoop.scheduleTask(in: .milliseconds(500)) {
                        let context = bound.value
                        context.writeAndFlush(NIOAny(ByteBuffer(string: confirmA)), promise: nil)
                    }
                } else {
                    let reply = ">3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n>3\r\n$7\r\nmessage\r\n$1\r\nb\r\n$2\r\nhi\r\n"
                    context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: reply)), promise: nil)
                }
            }
        }

        init() async throws {
            let connections = NIOLockedValueBox(0)
            self.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .childChannelInitializer { child in
                    child.eventLoop.makeCompletedFuture {
                        let index = connections.withLockedValue { count in
                            defer { count += 1 }
                            return count
                        }
                        try child.pipeline.syncOperations.addHandler(Handler(index: index))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }
    }

    @Test func aSubscribeDuringTheResubscribeWaitsForItInsteadOfFailing() async throws {
        let server = try await SlowResubscribeServer()
        let configuration = RedisConfiguration(
            port: server.channel.localAddress!.port!,
            reconnectBackoff: .init(initial: .milliseconds(20), maximum: .milliseconds(100))
        )
        let harness = RedisSubscriberLiveTests.Harness(configuration)
        try await harness.subscriber.start()
        try await harness.subscriber.subscribe(["a"])
        _ = await harness.events.wait(for: 2)  // connected 0, disconnected
        try await Task.sleep(for: .milliseconds(100))  // connection 1 is up, its resubscribe unanswered
        try await harness.subscriber.subscribe(["b"])  // threw connectionClosed before
        // The waiters are released just before the event is reported: wait for it.
        #expect(await harness.events.wait(for: 3).last == "connected 2", "the resubscribe included b")
        #expect(await harness.messages.wait(for: 1).map { String(buffer: $0.payload) } == ["hi"])
        await harness.subscriber.shutdown()
        try await server.channel.close()
    }
}
