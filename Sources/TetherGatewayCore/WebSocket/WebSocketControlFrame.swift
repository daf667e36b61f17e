import NIOCore

/// A complete control frame seen by ``WebSocketFrameScanner``.
public struct WebSocketControlFrame: Sendable, Equatable {
    public enum Opcode: UInt8, Sendable {
        case close = 0x8
        case ping = 0x9
        case pong = 0xA
    }

    /// The raw opcode (0x8...0xF); reserved control opcodes are reported too.
    public var opcode: UInt8
    /// The payload, unmasked.
    public var payload: ByteBuffer
    /// The frame exactly as received (masked if it was), for forwarding.
    public var raw: ByteBuffer

    public init(opcode: UInt8, payload: ByteBuffer, raw: ByteBuffer) {
        self.opcode = opcode
        self.payload = payload
        self.raw = raw
    }

    public var kind: Opcode? { Opcode(rawValue: opcode) }

    /// The status code of a close frame, when it carries one.
    public var closeCode: UInt16? {
        guard kind == .close, payload.readableBytes >= 2 else { return nil }
        return payload.getInteger(at: payload.readerIndex, as: UInt16.self)
    }
}
