import NIOCore
import NIOWebSocket

/// The WebSocket side of ``WebSocketEchoServer``: echoes complete messages, answers pings, completes the
/// close handshake and rejects protocol violations with 1002 (1009 for oversized messages).
///
/// Runs after NIO's `WebSocketFrameDecoder` (which already rejects frames larger than the limit, fragmented
/// or long control frames) and `WebSocketProtocolErrorHandler`. Event-loop confined. Stops reading while the
/// channel is not writable, so a client that does not read cannot grow the server's memory.
final class EchoWebSocketHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let maxMessageSize: Int
    /// Opcode and collected payload of a fragmented message in progress.
    private var fragmentOpcode: WebSocketOpcode?
    private var fragments: ByteBuffer?
    /// Set once this side sent a close frame; everything received afterwards is dropped.
    private var closing = false

    init(maxMessageSize: Int) {
        self.maxMessageSize = maxMessageSize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.closing else { return }
        let frame = self.unwrapInboundIn(data)
        guard frame.maskKey != nil, !frame.rsv1, !frame.rsv2, !frame.rsv3 else {
            return self.fail(context: context, code: .protocolError)
        }
        switch frame.opcode {
        case .connectionClose:
            self.receivedClose(context: context, frame: frame)
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.write(self.wrapOutboundOut(pong), promise: nil)
        case .pong:
            break
        case .text, .binary:
            guard self.fragmentOpcode == nil else {
                return self.fail(context: context, code: .protocolError)
            }
            if frame.fin {
                let echo = WebSocketFrame(fin: true, opcode: frame.opcode, data: frame.unmaskedData)
                context.write(self.wrapOutboundOut(echo), promise: nil)
            } else {
                self.fragmentOpcode = frame.opcode
                self.fragments = frame.unmaskedData
            }
        case .continuation:
            guard let opcode = self.fragmentOpcode, var collected = self.fragments else {
                return self.fail(context: context, code: .protocolError)
            }
            self.fragments = nil  // keep the buffer uniquely referenced while appending
            var payload = frame.unmaskedData
            guard collected.readableBytes + payload.readableBytes <= self.maxMessageSize else {
                return self.fail(context: context, code: .messageTooLarge)
            }
            collected.writeBuffer(&payload)
            if frame.fin {
                self.fragmentOpcode = nil
                let echo = WebSocketFrame(fin: true, opcode: opcode, data: collected)
                context.write(self.wrapOutboundOut(echo), promise: nil)
            } else {
                self.fragments = collected
            }
        default:
            self.fail(context: context, code: .protocolError)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        try? context.channel.syncOptions?.setOption(.autoRead, value: context.channel.isWritable)
        if context.channel.isWritable {
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Protocol errors were answered with a close frame by WebSocketProtocolErrorHandler, which then closes.
        self.closing = true
        if !(error is NIOWebSocketError) {
            context.close(promise: nil)
        }
    }

    /// Echoes the peer's close code (1002 if the code is not one a peer may send) and closes TCP.
    private func receivedClose(context: ChannelHandlerContext, frame: WebSocketFrame) {
        var payload = frame.unmaskedData
        switch payload.readableBytes {
        case 0:
            self.sendCloseAndDisconnect(context: context, code: nil)
        case 1:
            self.sendCloseAndDisconnect(context: context, code: WebSocketErrorCode.protocolError)
        default:
            let raw = payload.readInteger(as: UInt16.self)!
            let code = Self.isSendable(closeCode: raw) ? WebSocketErrorCode(codeNumber: Int(raw)) : .protocolError
            self.sendCloseAndDisconnect(context: context, code: code)
        }
    }

    private func fail(context: ChannelHandlerContext, code: WebSocketErrorCode) {
        self.fragments = nil
        self.fragmentOpcode = nil
        self.sendCloseAndDisconnect(context: context, code: code)
    }

    private func sendCloseAndDisconnect(context: ChannelHandlerContext, code: WebSocketErrorCode?) {
        self.closing = true
        var data = context.channel.allocator.buffer(capacity: 2)
        if let code {
            data.write(webSocketErrorCode: code)
        }
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
        context.writeAndFlush(self.wrapOutboundOut(frame)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// RFC 6455 §7.4: codes a peer may put in a close frame.
    static func isSendable(closeCode code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }
}

@available(*, unavailable)
extension EchoWebSocketHandler: Sendable {}
