import NIOCore

/// Turns the byte stream of a connection into ``RESPValue``s with a ``RESPParser``. A parse error is passed on
/// as ``RedisError/protocolError(_:)`` by `ByteToMessageHandler` (the connection handler then closes).
struct RESPFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = RESPValue

    var parser: RESPParser

    init(limits: RESPParser.Limits) {
        parser = RESPParser(limits: limits)
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let value = try parser.next(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(value))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
