import NIOCore

/// Decodes what a Tether node sends to a bench connection: the HTTP response head, then WebSocket frames.
///
/// Text and binary messages are delivered whole (fragments joined; at most 16 MiB); control frames as
/// ``NodeInbound/ping(_:)`` or ``NodeInbound/close(code:)``; pongs are dropped. Server frames are not
/// masked, but a masked one is unmasked. The response head is limited to 16 KiB.
struct NodeFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = NodeInbound

    static let maxMessageSize = 16 << 20
    private static let maxHeadSize = 16 * 1024
    private var inHead = true
    private var searchedUpTo = 0
    /// Fragments of an unfinished message.
    private var fragments: ByteBuffer?

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if self.inHead {
            return try self.decodeHead(context: context, buffer: &buffer)
        }
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
            let second = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self)
        else { return .needMoreData }
        var length = Int(second & 0x7F)
        var headerLength = 2
        if length == 126 {
            guard let extended = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self) else { return .needMoreData }
            length = Int(extended)
            headerLength += 2
        } else if length == 127 {
            guard let extended = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt64.self) else { return .needMoreData }
            guard extended <= UInt64(Self.maxMessageSize) else { throw BenchError("frame of \(extended) bytes") }
            length = Int(extended)
            headerLength += 8
        }
        var maskKey: [UInt8]?
        if second & 0x80 != 0 {
            guard let key = buffer.getBytes(at: buffer.readerIndex + headerLength, length: 4) else { return .needMoreData }
            maskKey = key
            headerLength += 4
        }
        guard buffer.readableBytes >= headerLength + length else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: headerLength)
        var payload = buffer.readSlice(length: length)!
        if let maskKey {
            payload = ByteBuffer(bytes: payload.readableBytesView.enumerated().map { $0.element ^ maskKey[$0.offset & 3] })
        }
        let fin = first & 0x80 != 0
        switch first & 0x0F {
        case 0x1, 0x2:
            if fin {
                context.fireChannelRead(NIOAny(NodeInbound.text(payload)))
            } else {
                self.fragments = payload
            }
        case 0x0:
            guard var fragments = self.fragments else { throw BenchError("continuation frame without a message") }
            guard fragments.readableBytes + payload.readableBytes <= Self.maxMessageSize else {
                throw BenchError("message over \(Self.maxMessageSize) bytes")
            }
            fragments.writeBuffer(&payload)
            if fin {
                self.fragments = nil
                context.fireChannelRead(NIOAny(NodeInbound.text(fragments)))
            } else {
                self.fragments = fragments
            }
        case 0x8:
            let code = payload.readableBytes >= 2 ? payload.getInteger(at: payload.readerIndex, as: UInt16.self) : nil
            context.fireChannelRead(NIOAny(NodeInbound.close(code: code)))
        case 0x9:
            context.fireChannelRead(NIOAny(NodeInbound.ping(payload)))
        case 0xA:
            break
        default:
            throw BenchError("unknown opcode \(first & 0x0F)")
        }
        return .continue
    }

    private mutating func decodeHead(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        var index = view.startIndex + max(0, self.searchedUpTo - 3)
        while index + 3 < view.endIndex {
            if view[index] == 13, view[index + 1] == 10, view[index + 2] == 13, view[index + 3] == 10 {
                let head = buffer.readString(length: index + 4 - view.startIndex) ?? ""
                let status = head.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
                self.inHead = false
                context.fireChannelRead(NIOAny(NodeInbound.handshake(status: status)))
                return .continue
            }
            index += 1
        }
        guard buffer.readableBytes <= Self.maxHeadSize else { throw BenchError("response head over 16 KiB") }
        self.searchedUpTo = buffer.readableBytes
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}
