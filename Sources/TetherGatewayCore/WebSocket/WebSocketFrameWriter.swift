import NIOCore

/// Builds the few frames the gateway injects into a relayed stream: close (drain, shutdown, idle) and ping
/// (keep-alive). Frames towards a server must be masked (RFC 6455 §5.3); frames towards a client must not.
public enum WebSocketFrameWriter {
    /// A close frame with `code` and a UTF-8 `reason` cut to fit the 125-byte control payload.
    public static func closeFrame(code: UInt16, reason: String, masked: Bool) -> ByteBuffer {
        var payload = ByteBuffer()
        payload.writeInteger(code)
        payload.writeBytes(Self.truncatedUTF8(reason, maxBytes: 123))
        return frame(opcode: 0x8, payload: payload, masked: masked)
    }

    public static func pingFrame(payload: ByteBuffer, masked: Bool) -> ByteBuffer {
        frame(opcode: 0x9, payload: payload, masked: masked)
    }

    /// A final, single frame with `opcode`; the payload must be at most 125 bytes for control opcodes.
    public static func frame(opcode: UInt8, payload: ByteBuffer, masked: Bool) -> ByteBuffer {
        var out = ByteBuffer()
        let length = payload.readableBytes
        out.reserveCapacity(length + 14)
        out.writeInteger(0x80 | opcode)
        let maskBit: UInt8 = masked ? 0x80 : 0
        if length < 126 {
            out.writeInteger(maskBit | UInt8(length))
        } else if length <= 0xFFFF {
            out.writeInteger(maskBit | 126)
            out.writeInteger(UInt16(length))
        } else {
            out.writeInteger(maskBit | 127)
            out.writeInteger(UInt64(length))
        }
        if masked {
            let key = (0..<4).map { _ in UInt8.random(in: 0...255) }
            out.writeBytes(key)
            for (i, byte) in payload.readableBytesView.enumerated() {
                out.writeInteger(byte ^ key[i & 3])
            }
        } else {
            var copy = payload
            out.writeBuffer(&copy)
        }
        return out
    }

    private static func truncatedUTF8(_ text: String, maxBytes: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            if bytes.count + encoded.count > maxBytes { break }
            bytes.append(contentsOf: encoded)
        }
        return bytes
    }
}
