import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A bare TCP connection for tests that must control bytes exactly (keep-alive, slowloris, oversized heads).
final class RawTCPConnection: Sendable {
    private let channel: Channel
    private let received: NIOLockedValueBox<[UInt8]>

    private init(channel: Channel, received: NIOLockedValueBox<[UInt8]>) {
        self.channel = channel
        self.received = received
    }

    static func connect(host: String = "127.0.0.1", port: Int) async throws -> RawTCPConnection {
        let received = NIOLockedValueBox<[UInt8]>([])
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(received: received))
                }
            }
            .connect(host: host, port: port)
            .get()
        return RawTCPConnection(channel: channel, received: received)
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    var isActive: Bool { channel.isActive }

    /// Waits until the peer closes the connection (or the timeout passes).
    func waitForClose(timeout: Duration = .seconds(5)) async -> Bool {
        await eventually(timeout: timeout) { !channel.isActive }
    }

    /// Everything received so far, as text.
    var text: String { String(decoding: received.withLockedValue { $0 }, as: UTF8.self) }

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    /// Reads one response with a Content-Length body, consuming it from the received bytes.
    func readHTTPResponse(timeout: Duration = .seconds(5)) async throws -> Response {
        var parsed: Response?
        _ = await eventually(timeout: timeout) {
            parsed = received.withLockedValue { bytes in
                let text = String(decoding: bytes, as: UTF8.self)
                guard let end = text.range(of: "\r\n\r\n") else { return nil }
                let lines = text[..<end.lowerBound].components(separatedBy: "\r\n")
                let status = Int(lines[0].split(separator: " ")[1]) ?? 0
                var headers: [String: String] = [:]
                for line in lines.dropFirst() {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces).lowercased() }
                }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                let headBytes = text[..<end.upperBound].utf8.count
                guard bytes.count >= headBytes + length else { return nil }
                let body = String(decoding: bytes[headBytes..<(headBytes + length)], as: UTF8.self)
                bytes.removeFirst(headBytes + length)
                return Response(status: status, headers: headers, body: body)
            }
            return parsed != nil
        }
        guard let parsed else { throw ChannelError.eof }
        return parsed
    }

    func close() async {
        try? await channel.close()
    }

    /// Sends FIN, keeping the receiving side open.
    func shutdownOutput() async {
        try? await channel.close(mode: .output)
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<[UInt8]>

        init(received: NIOLockedValueBox<[UInt8]>) {
            self.received = received
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLockedValue { $0 += buffer.readableBytesView }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            // The peer's FIN ends the test connection (``waitForClose()`` watches for that).
            if let event = event as? ChannelEvent, event == .inputClosed {
                context.close(promise: nil)
            }
        }
    }
}

import Foundation
