import NIOCore
import NIOWebSocket

/// The WebSocket side of ``WebSocketTestClient``: turns frames into ``WebSocketTestClient/Message``s.
///
/// Text and binary fragments are aggregated (up to `maxMessageSize`; beyond it the client closes with
/// 1009). Pings are answered with a masked pong automatically and only counted, never surfaced; pongs are
/// surfaced as `.pong`. A close frame is surfaced as `.close` and, if this side has not sent one yet,
/// answered with a close frame carrying the same code; the client then waits for the server to close TCP.
/// Outbound close frames are observed so a reply is never sent twice. When the channel closes, the queue
/// is finished with ``WebSocketTestClientError/Code/connectionClosed``. Event-loop confined.
final class ClientFrameHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = Never
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let queue: ClientMessageQueue
    private let maxMessageSize: Int
    private var fragmentOpcode: WebSocketOpcode?
    private var fragments = ByteBuffer()
    private var closeSent = false
    private var closeReceived = false

    init(queue: ClientMessageQueue, maxMessageSize: Int) {
        self.queue = queue
        self.maxMessageSize = maxMessageSize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.closeReceived else { return }
        let frame = self.unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            guard self.fragmentOpcode == nil else {
                return self.violation(context: context, "new data frame inside a fragmented message")
            }
            if frame.fin {
                self.queue.push(Self.message(opcode: frame.opcode, payload: frame.unmaskedData))
            } else {
                self.fragmentOpcode = frame.opcode
                self.fragments.clear()
                var payload = frame.unmaskedData
                self.fragments.writeBuffer(&payload)
            }
        case .continuation:
            guard let opcode = self.fragmentOpcode else {
                return self.violation(context: context, "continuation without a started message")
            }
            var payload = frame.unmaskedData
            guard self.fragments.readableBytes + payload.readableBytes <= self.maxMessageSize else {
                return self.violation(context: context, "message over \(self.maxMessageSize) bytes", code: .messageTooLarge)
            }
            self.fragments.writeBuffer(&payload)
            if frame.fin {
                self.fragmentOpcode = nil
                self.queue.push(Self.message(opcode: opcode, payload: self.fragments))
                self.fragments.clear()
            }
        case .ping:
            self.queue.countPing()
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(self.wrapOutboundOut(pong), promise: nil)
        case .pong:
            self.queue.push(.pong(Array(buffer: frame.unmaskedData)))
        case .connectionClose:
            self.closeReceived = true
            var payload = frame.unmaskedData
            let code = payload.readableBytes >= 2 ? payload.readInteger(as: UInt16.self) : nil
            let reason = payload.readString(length: payload.readableBytes) ?? ""
            self.queue.push(.close(code: code, reason: reason))
            if !self.closeSent {
                self.sendClose(context: context, code: code)
            }
        default:
            self.violation(context: context, "unknown opcode \(frame.opcode)")
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if self.unwrapOutboundIn(data).opcode == .connectionClose {
            self.closeSent = true
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.queue.finish(WebSocketTestClientError(.connectionClosed, detail: "the connection is closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let code: WebSocketErrorCode =
            switch error as? NIOWebSocketError {
            case .invalidFrameLength: .messageTooLarge
            case .some: .protocolError
            case nil: .unexpectedServerError
            }
        self.violation(context: context, "\(error)", code: code)
    }

    private func violation(context: ChannelHandlerContext, _ detail: String, code: WebSocketErrorCode = .protocolError) {
        self.queue.finish(WebSocketTestClientError(.protocolViolation, detail: detail))
        if !self.closeSent {
            var data = context.channel.allocator.buffer(capacity: 2)
            data.write(webSocketErrorCode: code)
            let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
            self.closeSent = true
            context.writeAndFlush(self.wrapOutboundOut(frame), promise: nil)
        }
        context.close(promise: nil)
    }

    private func sendClose(context: ChannelHandlerContext, code: UInt16?) {
        var data = context.channel.allocator.buffer(capacity: 2)
        if let code { data.writeInteger(code) }
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data)
        self.closeSent = true
        context.writeAndFlush(self.wrapOutboundOut(frame), promise: nil)
    }

    private static func message(opcode: WebSocketOpcode, payload: ByteBuffer) -> WebSocketTestClient.Message {
        opcode == .text ? .text(String(buffer: payload)) : .binary(Array(buffer: payload))
    }
}

@available(*, unavailable)
extension ClientFrameHandler: Sendable {}
