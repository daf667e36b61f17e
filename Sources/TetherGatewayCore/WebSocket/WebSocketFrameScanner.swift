import NIOCore

/// Follows one direction of a WebSocket byte stream frame by frame without copying or unmasking data frames.
///
/// The relay feeds every chunk it reads into ``next(_:)`` until it returns nil. Bytes of data frames (text,
/// binary, continuation and reserved opcodes) come back as ``Event/passThrough(_:)`` slices of the input, so
/// payloads are forwarded untouched and masked as received. Control frames (close, ping, pong) are held until
/// complete (at most 139 bytes) and come back as ``Event/control(_:)``, so the relay can look at them
/// (close codes, its own keep-alive pongs) before deciding whether to forward ``WebSocketControlFrame/raw``.
/// A control frame that breaks RFC 6455 (payload over 125 bytes, or fragmented) is passed through like data:
/// the endpoint behind the relay is the one that fails the connection, exactly as it would without the relay.
///
/// Not thread-safe: one scanner per direction, used on that connection's event loop.
public struct WebSocketFrameScanner: Sendable {
    public enum Event: Sendable, Equatable {
        /// Bytes to forward as they are: whole or partial data frames, never part of a held control frame.
        case passThrough(ByteBuffer)
        /// One complete control frame.
        case control(WebSocketControlFrame)
    }

    private enum Phase: Sendable {
        case header
        case payload(remaining: UInt64)
    }

    private var phase: Phase = .header
    /// Header bytes of the current frame seen so far (a header is at most 14 bytes).
    private var header = FrameHeaderBytes()
    /// The current frame is a control frame being held until complete.
    private var holding: ByteBuffer?
    private var currentFin = false
    private var currentOpcode: UInt8 = 0

    /// Complete data messages seen (frames with FIN set and a non-control opcode).
    public private(set) var messageCount = 0
    /// Total bytes consumed.
    public private(set) var byteCount = 0

    public init() {}

    /// True when nothing of the current frame has been forwarded, so a frame may be injected before it.
    public var isAtFrameBoundary: Bool {
        if holding != nil { return true }
        if case .header = phase { return header.isEmpty }
        return false
    }

    /// Consumes bytes from `buffer` and returns the next event, or nil once `buffer` is empty (the bytes of a
    /// partial control frame are then kept inside the scanner). Consecutive data frames come back as one
    /// slice, unless `stopAtFrameEnd` is set: then a slice ends where a frame ends, so the caller can inject a
    /// frame there (it sets the flag while it has one waiting).
    public mutating func next(_ buffer: inout ByteBuffer, stopAtFrameEnd: Bool = false) -> Event? {
        guard buffer.readableBytes > 0 else { return nil }
        if holding != nil {
            return continueHolding(&buffer)
        }
        var count = 0
        let available = buffer.readableBytes
        let base = buffer.readerIndex
        scan: while count < available {
            switch phase {
            case .payload(let remaining):
                let step = Int(min(remaining, UInt64(available - count)))
                count += step
                if UInt64(step) == remaining {
                    finishFrame()
                    if stopAtFrameEnd { break scan }
                } else {
                    phase = .payload(remaining: remaining - UInt64(step))
                }
            case .header:
                let byte = buffer.getInteger(at: base + count, as: UInt8.self)!
                if header.isEmpty && byte & 0x08 != 0 {
                    // A control frame starts here: flush what precedes it, then hold it.
                    if count > 0 { break scan }
                    holding = ByteBuffer()
                    return continueHolding(&buffer)
                }
                header.append(byte)
                count += 1
                if let length = header.payloadLength {
                    startPayload(length)
                    if stopAtFrameEnd && isAtFrameBoundary { break scan }
                }
            }
        }
        byteCount += count
        return .passThrough(buffer.readSlice(length: count)!)
    }

    private mutating func startPayload(_ length: UInt64) {
        currentFin = header[0] & 0x80 != 0
        currentOpcode = header[0] & 0x0F
        header.removeAll()
        if length == 0 {
            finishFrame()
        } else {
            phase = .payload(remaining: length)
        }
    }

    private mutating func finishFrame() {
        phase = .header
        if currentFin && currentOpcode & 0x08 == 0 {
            messageCount += 1
        }
    }

    /// Accumulates a control frame; returns it when complete, or turns it into pass-through when it is invalid.
    private mutating func continueHolding(_ buffer: inout ByteBuffer) -> Event? {
        while buffer.readableBytes > 0 {
            switch phase {
            case .header:
                let byte = buffer.readInteger(as: UInt8.self)!
                byteCount += 1
                header.append(byte)
                holding!.writeInteger(byte)
                guard let length = header.payloadLength else { continue }
                let fin = header[0] & 0x80 != 0
                if length > 125 || !fin {
                    // Invalid control frame: stop holding, forward what we have and stream the rest.
                    let held = holding!
                    holding = nil
                    startPayload(length)
                    return .passThrough(held)
                }
                let headerBytes = header
                header.removeAll()
                if length == 0 {
                    return completeControlFrame(header: headerBytes)
                }
                phase = .payload(remaining: length)
                pendingControlHeader = headerBytes
            case .payload(let remaining):
                let step = Int(min(remaining, UInt64(buffer.readableBytes)))
                var slice = buffer.readSlice(length: step)!
                byteCount += step
                holding!.writeBuffer(&slice)
                if UInt64(step) == remaining {
                    phase = .header
                    return completeControlFrame(header: pendingControlHeader)
                }
                phase = .payload(remaining: remaining - UInt64(step))
            }
        }
        return nil
    }

    private var pendingControlHeader = FrameHeaderBytes()

    private mutating func completeControlFrame(header headerBytes: FrameHeaderBytes) -> Event {
        let raw = holding!
        holding = nil
        pendingControlHeader = FrameHeaderBytes()
        let headerLength = headerBytes.count
        var payload = raw.getSlice(at: raw.readerIndex + headerLength, length: raw.readableBytes - headerLength)!
        if headerBytes.isMasked {
            let key = headerBytes.maskKey
            payload = Self.unmask(payload, key: [key.0, key.1, key.2, key.3])
        }
        return .control(WebSocketControlFrame(opcode: headerBytes[0] & 0x0F, payload: payload, raw: raw))
    }

    private static func unmask(_ payload: ByteBuffer, key: [UInt8]) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(payload.readableBytes)
        for (i, byte) in payload.readableBytesView.enumerated() {
            out.writeInteger(byte ^ key[i & 3])
        }
        return out
    }
}
