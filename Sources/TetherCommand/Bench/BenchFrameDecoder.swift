import NIOCore

/// Decodes what a WebSocket server sends to the load generator: first the HTTP response head, then frames.
///
/// Lean on purpose: data payloads are skipped as they arrive (never buffered or copied) and only their
/// length is reported; control payloads (≤ 125 bytes) are kept. Fragmented messages are reported once, at
/// the final fragment, with the total length. The response head is limited to 16 KiB.
struct BenchFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = BenchInbound

    private enum State {
        case head(searchedUpTo: Int)
        case frameHeader
        /// Skipping `remaining` bytes of a data frame's payload.
        case dataPayload(remaining: Int, fin: Bool)
    }

    private static let maxHeadSize = 16 * 1024
    private var state = State.head(searchedUpTo: 0)
    /// Payload bytes of the message being received so far.
    private var messageLength = 0

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch self.state {
        case .head(let searchedUpTo):
            return try self.decodeHead(context: context, buffer: &buffer, searchedUpTo: searchedUpTo)
        case .frameHeader:
            return try self.decodeFrameHeader(context: context, buffer: &buffer)
        case .dataPayload(let remaining, let fin):
            return self.skipPayload(context: context, buffer: &buffer, remaining: remaining, fin: fin)
        }
    }

    /// Skips up to `remaining` payload bytes; reports the message when the final fragment is complete.
    private mutating func skipPayload(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        remaining: Int,
        fin: Bool
    ) -> DecodingState {
        let skip = min(remaining, buffer.readableBytes)
        buffer.moveReaderIndex(forwardBy: skip)
        self.messageLength += skip
        if remaining > skip {
            self.state = .dataPayload(remaining: remaining - skip, fin: fin)
            return .needMoreData
        }
        self.state = .frameHeader
        if fin {
            context.fireChannelRead(NIOAny(BenchInbound.message(length: self.messageLength)))
            self.messageLength = 0
        }
        return .continue
    }

    private mutating func decodeHead(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        searchedUpTo: Int
    ) throws -> DecodingState {
        let view = buffer.readableBytesView
        var index = view.startIndex + max(0, searchedUpTo - 3)
        while index + 3 < view.endIndex {
            if view[index] == 13, view[index + 1] == 10, view[index + 2] == 13, view[index + 3] == 10 {
                let headLength = index + 4 - view.startIndex
                let head = buffer.readString(length: headLength) ?? ""
                // "HTTP/1.1 101 Switching Protocols"
                let status = head.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
                self.state = .frameHeader
                context.fireChannelRead(NIOAny(BenchInbound.handshake(status: status)))
                return .continue
            }
            index += 1
        }
        guard buffer.readableBytes <= Self.maxHeadSize else { throw BenchError("response head over 16 KiB") }
        self.state = .head(searchedUpTo: buffer.readableBytes)
        return .needMoreData
    }

    private mutating func decodeFrameHeader(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
            let second = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self)
        else { return .needMoreData }
        let masked = second & 0x80 != 0
        var length = Int(second & 0x7F)
        var headerLength = 2
        if length == 126 {
            guard let extended = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self) else { return .needMoreData }
            length = Int(extended)
            headerLength += 2
        } else if length == 127 {
            guard let extended = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt64.self) else { return .needMoreData }
            guard extended <= UInt64(Int32.max) else { throw BenchError("frame of \(extended) bytes") }
            length = Int(extended)
            headerLength += 8
        }
        var maskKey: [UInt8]?
        if masked {
            guard let key = buffer.getBytes(at: buffer.readerIndex + headerLength, length: 4) else { return .needMoreData }
            maskKey = key
            headerLength += 4
        }
        let fin = first & 0x80 != 0
        let opcode = first & 0x0F
        switch opcode {
        case 0x0, 0x1, 0x2:
            buffer.moveReaderIndex(forwardBy: headerLength)
            return self.skipPayload(context: context, buffer: &buffer, remaining: length, fin: fin)
        case 0x8, 0x9, 0xA:
            guard buffer.readableBytes >= headerLength + length else { return .needMoreData }
            buffer.moveReaderIndex(forwardBy: headerLength)
            var payload = buffer.readSlice(length: length)!
            if let maskKey {
                payload = ByteBuffer(bytes: payload.readableBytesView.enumerated().map { $0.element ^ maskKey[$0.offset % 4] })
            }
            switch opcode {
            case 0x8:
                let code = payload.readableBytes >= 2 ? payload.getInteger(at: payload.readerIndex, as: UInt16.self) : nil
                context.fireChannelRead(NIOAny(BenchInbound.close(code: code)))
            case 0x9:
                context.fireChannelRead(NIOAny(BenchInbound.ping(payload)))
            default:
                break  // unsolicited pong
            }
            return .continue
        default:
            throw BenchError("unknown opcode \(opcode)")
        }
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}
