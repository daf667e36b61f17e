import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A loopback server that plays Redis from a script, to put a client in situations a real server does not
/// produce on demand. It answers `HELLO` itself (an empty RESP3 map); everything else is up to `script`,
/// called on the connection's event loop with the connection's index (0, 1, … in accept order) and the
/// text of each read.
final class ScriptedRedisServer: Sendable {
    typealias Script = @Sendable (_ connection: Int, _ text: String, _ context: ChannelHandlerContext) -> Void

    let channel: any Channel
    var port: Int { self.channel.localAddress!.port! }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let index: Int
        let script: Script

        init(index: Int, script: @escaping Script) {
            self.index = index
            self.script = script
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let text = String(buffer: self.unwrapInboundIn(data))
            if text.contains("HELLO") { context.reply("%0\r\n") }
            self.script(self.index, text, context)
        }
    }

    init(_ script: @escaping Script) async throws {
        let connections = NIOLockedValueBox(0)
        self.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    let index = connections.withLockedValue { count in
                        defer { count += 1 }
                        return count
                    }
                    try child.pipeline.syncOperations.addHandler(Handler(index: index, script: script))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func close() async {
        try? await self.channel.close()
    }
}

extension ChannelHandlerContext {
    /// Writes raw RESP.
    func reply(_ resp: String) {
        self.writeAndFlush(NIOAny(ByteBuffer(string: resp)), promise: nil)
    }
}

/// RESP3 frames the scripts send.
enum ScriptedRESP {
    static func confirm(_ channel: String, count: Int) -> String {
        ">3\r\n$9\r\nsubscribe\r\n$\(channel.utf8.count)\r\n\(channel)\r\n:\(count)\r\n"
    }

    static func message(_ channel: String, _ payload: String) -> String {
        ">3\r\n$7\r\nmessage\r\n$\(channel.utf8.count)\r\n\(channel)\r\n$\(payload.utf8.count)\r\n\(payload)\r\n"
    }
}
