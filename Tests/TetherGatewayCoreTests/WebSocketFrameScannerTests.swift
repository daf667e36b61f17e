import NIOCore
import Testing

@testable import TetherGatewayCore

@Suite struct WebSocketFrameScannerTests {
    /// A frame as a client would send it (masked) or a server (unmasked).
    static func frame(opcode: UInt8, payload: [UInt8], fin: Bool = true, masked: Bool) -> [UInt8] {
        var buffer = WebSocketFrameWriter.frame(opcode: opcode, payload: ByteBuffer(bytes: payload), masked: masked)
        var bytes = buffer.readBytes(length: buffer.readableBytes)!
        if !fin { bytes[0] &= 0x7F }
        return bytes
    }

    /// Feeds `bytes` in chunks of `chunk` bytes and collects what comes out.
    static func scan(_ bytes: [UInt8], chunk: Int) -> (passed: [UInt8], controls: [WebSocketControlFrame], scanner: WebSocketFrameScanner) {
        var scanner = WebSocketFrameScanner()
        var passed: [UInt8] = []
        var controls: [WebSocketControlFrame] = []
        var offset = 0
        while offset < bytes.count {
            var buffer = ByteBuffer(bytes: bytes[offset..<min(offset + chunk, bytes.count)])
            offset += chunk
            while let event = scanner.next(&buffer) {
                switch event {
                case .passThrough(let slice): passed += Array(slice.readableBytesView)
                case .control(let frame): controls.append(frame)
                }
            }
        }
        return (passed, controls, scanner)
    }

    @Test(arguments: [1, 2, 3, 7, 64, 100_000])
    func dataPassesThroughUntouchedAndControlFramesAreHeld(chunk: Int) {
        let text = Self.frame(opcode: 0x1, payload: Array("hello".utf8), masked: true)
        let big = Self.frame(opcode: 0x2, payload: (0..<70_000).map { UInt8($0 & 0xFF) }, masked: true)
        let fragment1 = Self.frame(opcode: 0x1, payload: Array("frag".utf8), fin: false, masked: true)
        let ping = Self.frame(opcode: 0x9, payload: Array("p".utf8), masked: true)
        let fragment2 = Self.frame(opcode: 0x0, payload: Array("ment".utf8), masked: true)
        let close = Self.frame(opcode: 0x8, payload: [0x03, 0xE8], masked: true)
        let stream = text + big + fragment1 + ping + fragment2 + close
        let result = Self.scan(stream, chunk: chunk)
        #expect(result.passed == text + big + fragment1 + fragment2)
        #expect(result.controls.count == 2)
        #expect(result.controls[0].kind == .ping)
        #expect(Array(result.controls[0].payload.readableBytesView) == Array("p".utf8))
        #expect(Array(result.controls[0].raw.readableBytesView) == ping)
        #expect(result.controls[1].closeCode == 1000)
        #expect(result.scanner.messageCount == 3)
        #expect(result.scanner.byteCount == stream.count)
        #expect(result.scanner.isAtFrameBoundary)
    }

    @Test func boundaryTracksPartialFrames() {
        var scanner = WebSocketFrameScanner()
        let frame = Self.frame(opcode: 0x2, payload: Array(repeating: 7, count: 300), masked: false)
        var first = ByteBuffer(bytes: frame[0..<100])
        while scanner.next(&first) != nil {}
        #expect(!scanner.isAtFrameBoundary)
        var rest = ByteBuffer(bytes: frame[100...])
        while scanner.next(&rest) != nil {}
        #expect(scanner.isAtFrameBoundary)
        #expect(scanner.messageCount == 1)
    }

    @Test func invalidControlFrameIsPassedThroughForTheEndpointToReject() {
        // A ping with a 126-byte payload breaks RFC 6455 §5.5; the relay must not swallow or reshape it.
        let ping = Self.frame(opcode: 0x9, payload: Array(repeating: 1, count: 126), masked: true)
        let after = Self.frame(opcode: 0x1, payload: Array("x".utf8), masked: true)
        let result = Self.scan(ping + after, chunk: 5)
        #expect(result.passed == ping + after)
        #expect(result.controls.isEmpty)
    }

    @Test func emptyPayloadFramesAndReservedBitsPassUnchanged() {
        var empty = Self.frame(opcode: 0x1, payload: [], masked: false)
        empty[0] |= 0x40  // RSV1, as permessage-deflate sets it
        let result = Self.scan(empty + empty, chunk: 1)
        #expect(result.passed == empty + empty)
        #expect(result.scanner.messageCount == 2)
    }

    @Test func writerMasksOnlyTowardsServers() {
        let close = WebSocketFrameWriter.closeFrame(code: 1012, reason: "endpoint draining", masked: false)
        #expect(close.getInteger(at: 1, as: UInt8.self)! & 0x80 == 0)
        let masked = WebSocketFrameWriter.closeFrame(code: 1001, reason: "bye", masked: true)
        let result = Self.scan(Array(masked.readableBytesView), chunk: 3)
        #expect(result.controls.first?.closeCode == 1001)
        #expect(String(buffer: result.controls.first!.payload.getSlice(at: 2, length: 3)!) == "bye")
    }

    @Test func closeReasonIsCutToTheControlFrameLimit() {
        let long = String(repeating: "é", count: 100)  // 200 bytes of UTF-8
        let frame = WebSocketFrameWriter.closeFrame(code: 1001, reason: long, masked: false)
        #expect(frame.readableBytes <= 2 + 125)
        let result = Self.scan(Array(frame.readableBytesView), chunk: 200)
        #expect(result.controls.count == 1)
        #expect(String(validating: Array(result.controls[0].payload.readableBytesView.dropFirst(2)), as: UTF8.self) != nil)
    }
}
