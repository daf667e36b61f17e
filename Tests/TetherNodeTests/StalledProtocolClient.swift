import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A protocol client that stops reading after the handshake: the node's writes pile up in the kernel and
/// then in the connection's outbound queue, which is what the slow-consumer policies are about. Frames
/// are sent masked with the all-zero key (valid per RFC 6455, and the payload stays as written).
final class StalledProtocolClient: Sendable {
    private let channel: any Channel
    private let received: NIOLockedValueBox<[UInt8]>

    static func connect(port: Int) async throws -> StalledProtocolClient {
        let received = NIOLockedValueBox<[UInt8]>([])
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_rcvbuf), value: 4096)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteCollector(received: received))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        let client = StalledProtocolClient(channel: channel, received: received)
        let request = "GET /connection/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request))
        // Read only until the 101 head has arrived.
        let deadline = ContinuousClock.now + .seconds(5)
        while !client.text.contains("\r\n\r\n") {
            guard ContinuousClock.now < deadline else { throw TestFailure("no handshake response") }
            channel.read()
            try await Task.sleep(for: .milliseconds(10))
        }
        guard client.text.hasPrefix("HTTP/1.1 101") else { throw TestFailure("handshake refused: \(client.text)") }
        return client
    }

    private init(channel: any Channel, received: NIOLockedValueBox<[UInt8]>) {
        self.channel = channel
        self.received = received
    }

    /// Everything read so far, as text (the handshake, plus whatever one read brought along).
    var text: String { String(decoding: self.received.withLockedValue { $0 }, as: UTF8.self) }

    var isActive: Bool { self.channel.isActive }

    /// Sends one masked text frame.
    func send(_ text: String) async throws {
        let payload = Array(text.utf8)
        var frame: [UInt8] = [0x81]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else {
            frame.append(0x80 | 126)
            frame.append(UInt8(payload.count >> 8))
            frame.append(UInt8(payload.count & 0xFF))
        }
        frame += [0, 0, 0, 0]
        frame += payload
        try await self.channel.writeAndFlush(ByteBuffer(bytes: frame))
    }

    func close() async {
        try? await self.channel.close()
    }
}

private final class ByteCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let received: NIOLockedValueBox<[UInt8]>

    init(received: NIOLockedValueBox<[UInt8]>) {
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = Self.unwrapInboundIn(data)
        self.received.withLockedValue { $0 += buffer.readableBytesView }
    }
}
