import Logging
import NIOCore
import NIOEmbedded
import Testing
import TetherGatewayCore

@testable import TetherGateway

/// The tunnel relay in memory: two `EmbeddedChannel`s on one `EmbeddedEventLoop` stand for the gateway's
/// socket to the client (downstream leg) and to the endpoint (upstream leg). Bytes "from the client" are
/// written inbound on the downstream channel; what the gateway sends to the endpoint is read from the upstream
/// channel's outbound side, and the other way round. Every assertion is on exact bytes.
///
/// The tests are synchronous: `EmbeddedEventLoop` must stay on the thread that made it.
@Suite struct TunnelTests {
    private static let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
    private static let keepAlivePayload = Array("tether-keepalive".utf8)

    // MARK: Relay

    @Test func framesPassBothWaysByteForByte() throws {
        let f = try TunnelFixture()
        let fromClient =
            WireFrame.bytes(opcode: 0x1, Array("deflated?".utf8), rsv: 0x40, mask: Self.key)  // RSV1 kept as is
            + WireFrame.bytes(opcode: 0x1, Array("Hel".utf8), fin: false, mask: Self.key)  // fragment 1
            + WireFrame.bytes(opcode: 0x9, Array("are you there".utf8), mask: Self.key)  // ping between fragments
            + WireFrame.bytes(opcode: 0x0, Array("lo".utf8), fin: false, mask: Self.key)  // fragment 2
            + WireFrame.bytes(opcode: 0x0, [], mask: Self.key)  // empty final fragment
            + WireFrame.bytes(opcode: 0x2, [UInt8](repeating: 0xAB, count: 300), rsv: 0x70, mask: Self.key)  // 16-bit length
        // Chunks of 5 bytes split headers, masking keys and the held ping at every possible place.
        for chunk in fromClient.chunked(5) {
            f.fromClient(chunk)
        }
        #expect(f.toServer() == fromClient)
        #expect(f.toClient().isEmpty, "the gateway answers nothing itself, not even the ping")

        let fromServer =
            WireFrame.bytes(opcode: 0x2, [UInt8](repeating: 0x5C, count: 70_000))  // 64-bit length
            + WireFrame.bytes(opcode: 0xA, Array("pong".utf8))
            + WireFrame.bytes(opcode: 0x1, Array("caf\u{e9}".utf8), fin: false)
            + WireFrame.bytes(opcode: 0x9, [])
            + WireFrame.bytes(opcode: 0x0, Array("!".utf8))
        for chunk in fromServer.chunked(4093) {
            f.fromServer(chunk)
        }
        #expect(f.toClient() == fromServer)
        #expect(f.toServer().isEmpty)

        let counts = f.tunnel.messageCounts
        #expect(counts.toUpstream == 3)
        #expect(counts.toDownstream == 2)
        #expect(!f.tunnel.isFinished)
    }

    @Test func countsBytesAndMessagesPerDirectionOnceEach() throws {
        let f = try TunnelFixture()
        let up1 = WireFrame.bytes(opcode: 0x1, Array("one".utf8), mask: Self.key) + WireFrame.bytes(opcode: 0x9, [], mask: Self.key)
        let down1 = WireFrame.bytes(opcode: 0x1, Array("uno".utf8)) + WireFrame.bytes(opcode: 0x2, [1, 2, 3])
        f.fromClient(up1)
        f.fromServer(down1)
        f.tunnel.tick(now: .now())  // the sweep reports what was relayed so far
        #expect(f.counter(GatewayMetricNames.bytesRelayedTotal, direction: "upstream") == Int64(up1.count))
        #expect(f.counter(GatewayMetricNames.bytesRelayedTotal, direction: "downstream") == Int64(down1.count))
        #expect(f.counter(GatewayMetricNames.messagesRelayedTotal, direction: "upstream") == 1)
        #expect(f.counter(GatewayMetricNames.messagesRelayedTotal, direction: "downstream") == 2)

        let up2 = WireFrame.bytes(opcode: 0x1, Array("tw".utf8), fin: false, mask: Self.key) + WireFrame.bytes(opcode: 0x0, Array("o".utf8), mask: Self.key)
        f.fromClient(up2)
        f.tunnel.tick(now: .now())
        f.tunnel.tick(now: .now())  // a report with nothing new adds nothing
        f.server.close(promise: nil)  // the endpoint goes away: the tunnel finishes and reports the rest
        #expect(f.tunnel.isFinished)
        #expect(f.counter(GatewayMetricNames.bytesRelayedTotal, direction: "upstream") == Int64(up1.count + up2.count))
        #expect(f.counter(GatewayMetricNames.bytesRelayedTotal, direction: "downstream") == Int64(down1.count))
        #expect(f.counter(GatewayMetricNames.messagesRelayedTotal, direction: "upstream") == 2)
        #expect(f.counter(GatewayMetricNames.messagesRelayedTotal, direction: "downstream") == 2)
        #expect(f.tunnel.messageCounts == (toDownstream: 2, toUpstream: 2))
    }

    @Test func countersAreReportedEvenWithKeepAliveDisabled() throws {
        let f = try TunnelFixture(keepAlive: .init(interval: .zero, timeout: .zero), idleTimeout: .seconds(3600))
        let bytes = WireFrame.bytes(opcode: 0x1, Array("hello".utf8), mask: Self.key)
        f.fromClient(bytes)
        f.tunnel.tick(now: .now())
        #expect(f.counter(GatewayMetricNames.bytesRelayedTotal, direction: "upstream") == Int64(bytes.count))
        #expect(f.counter(GatewayMetricNames.messagesRelayedTotal, direction: "upstream") == 1)
    }

    @Test func aLegClosingEndsTheTunnelOnce() throws {
        let f = try TunnelFixture()
        f.client.close(promise: nil)
        #expect(f.tunnel.isFinished)
        #expect(!f.server.isActive, "the other leg is closed too")
        #expect(f.finishCount == 1)
        f.tunnel.finish()
        f.tunnel.initiateClose(.drain)
        #expect(f.finishCount == 1)
        #expect(f.toServer().isEmpty)
    }

    // MARK: Gateway-initiated close

    @Test func drainWaitsForAFrameBoundaryThenSends1012ToTheClientAnd1001ToTheEndpoint() throws {
        let f = try TunnelFixture()
        // The endpoint is in the middle of a 10-byte binary frame towards the client.
        let partial: [UInt8] = [0x82, 0x0A, 1, 2, 3, 4]
        f.fromServer(partial)
        #expect(f.toClient() == partial)

        f.tunnel.initiateClose(.drain)
        // Towards the endpoint the stream is at a boundary: the close goes out at once, masked.
        #expect(WireFrame.parse(f.toServer()) == [WireFrame(opcode: 0x8, masked: true, payload: WireFrame.closePayload(1001, "endpoint draining"))])
        // Towards the client it must wait: nothing is injected into the frame in flight.
        #expect(f.toClient().isEmpty)

        // The leg the gateway closed gets nothing more, data or control.
        f.fromClient(WireFrame.bytes(opcode: 0x1, Array("late".utf8), mask: Self.key))
        f.fromClient(WireFrame.bytes(opcode: 0x9, [], mask: Self.key))
        #expect(f.toServer().isEmpty)

        // The rest of the frame arrives: it is relayed, then the close follows, unmasked, with 1012.
        f.fromServer([5, 6, 7, 8, 9, 10])
        #expect(f.toClient() == [5, 6, 7, 8, 9, 10] + WireFrame.bytes(opcode: 0x8, WireFrame.closePayload(1012, "endpoint draining")))
        f.fromServer(WireFrame.bytes(opcode: 0x1, Array("after close".utf8)))
        #expect(f.toClient().isEmpty)

        // Both legs answer with their close frame; those are the gateway's to consume, and then it is done.
        f.fromClient(WireFrame.bytes(opcode: 0x8, WireFrame.closePayload(1012, ""), mask: Self.key))
        #expect(f.toServer().isEmpty)
        #expect(!f.tunnel.isFinished, "the endpoint has not answered yet")
        f.fromServer(WireFrame.bytes(opcode: 0x8, WireFrame.closePayload(1001, "")))
        #expect(f.toClient().isEmpty)
        #expect(f.tunnel.isFinished)
        #expect(!f.client.isActive)
        #expect(!f.server.isActive)
        #expect(f.finishCount == 1)
    }

    @Test func drainWaitsForAFrameBoundaryTowardsTheEndpointToo() throws {
        let f = try TunnelFixture()
        let frame = WireFrame.bytes(opcode: 0x2, [9, 8, 7, 6, 5], mask: Self.key)
        f.fromClient(Array(frame[..<4]))  // mid-header: part of the masking key
        #expect(f.toServer() == Array(frame[..<4]))
        f.tunnel.initiateClose(.shutdown)
        #expect(f.toClient() == WireFrame.bytes(opcode: 0x8, WireFrame.closePayload(1001, "gateway shutting down")))
        #expect(f.toServer().isEmpty)
        f.fromClient(Array(frame[4...]))
        let toServer = f.toServer()
        #expect(Array(toServer.prefix(frame.count - 4)) == Array(frame[4...]))
        #expect(WireFrame.parse(Array(toServer.dropFirst(frame.count - 4))) == [WireFrame(opcode: 0x8, masked: true, payload: WireFrame.closePayload(1001, "gateway shutting down"))])
    }

    /// A chunk that completes the frame in flight and then carries the start of the next one: the scanner
    /// hands the whole chunk back as one pass-through slice, so the tunnel only sees a boundary once the
    /// stream pauses on one. The close should go out right after the completed frame instead.
    @Test func drainCloseIsInjectedAtTheFirstBoundaryEvenInsideAChunk() throws {
        let f = try TunnelFixture()
        f.fromServer([0x82, 0x04, 1, 2])
        f.tunnel.initiateClose(.drain)
        _ = f.toServer()
        _ = f.toClient()
        // Rest of the frame, then a second frame cut after its first payload byte.
        f.fromServer([3, 4, 0x81, 0x03, 0x61])
        let close = WireFrame.bytes(opcode: 0x8, WireFrame.closePayload(1012, "endpoint draining"))
        #expect(f.toClient() == [3, 4] + close)
    }

    /// The endpoint answers the gateway's close and hangs up at once (as servers do); the client has been sent
    /// its close frame too, so its socket stays open for its reply instead of being cut mid-handshake.
    @Test func theClientsCloseReplyIsAwaitedAfterTheEndpointHangsUp() throws {
        let f = try TunnelFixture()
        f.tunnel.initiateClose(.drain)
        _ = f.toClient()
        _ = f.toServer()
        f.fromServer(WireFrame.bytes(opcode: 0x8, WireFrame.closePayload(1001, "")))
        f.server.close(promise: nil)
        #expect(!f.tunnel.isFinished)
        #expect(f.client.isActive)
        f.fromClient(WireFrame.bytes(opcode: 0x8, WireFrame.closePayload(1012, ""), mask: Self.key))
        #expect(f.tunnel.isFinished)
        #expect(!f.client.isActive)
        #expect(f.finishCount == 1)
    }

    @Test func aLegHangingUpMidFrameDuringACloseEndsTheTunnelAtOnce() throws {
        let f = try TunnelFixture()
        f.fromServer([0x82, 0x0A, 1, 2])  // the close towards the client can never be injected
        f.tunnel.initiateClose(.drain)
        _ = f.toClient()
        f.server.close(promise: nil)
        #expect(f.tunnel.isFinished)
        #expect(!f.client.isActive)
    }

    @Test func bothLegsHangingUpDuringACloseEndTheTunnel() throws {
        let f = try TunnelFixture()
        f.tunnel.initiateClose(.shutdown)
        f.server.close(promise: nil)
        #expect(!f.tunnel.isFinished)
        f.client.close(promise: nil)
        #expect(f.tunnel.isFinished)
        #expect(f.finishCount == 1)
    }

    @Test func closeTimeoutEndsATunnelWhosePeersNeverAnswer() throws {
        let f = try TunnelFixture(closeTimeout: .seconds(5))
        f.tunnel.initiateClose(.shutdown)
        #expect(WireFrame.parse(f.toClient()).map(\.opcode) == [0x8])
        #expect(WireFrame.parse(f.toServer()).map(\.opcode) == [0x8])
        f.fromServer(WireFrame.bytes(opcode: 0x8, WireFrame.closePayload(1001, "")))  // only one leg answers
        f.loop.advanceTime(by: .seconds(5) - .milliseconds(1))
        #expect(!f.tunnel.isFinished)
        #expect(f.client.isActive)
        f.loop.advanceTime(by: .milliseconds(1))
        #expect(f.tunnel.isFinished)
        #expect(!f.client.isActive)
        #expect(!f.server.isActive)
        #expect(f.finishCount == 1)
    }

    @Test func aPeerCloseHandshakePassesThroughAndLaterGatewayCloseInjectsNothing() throws {
        let f = try TunnelFixture()
        let clientClose = WireFrame.bytes(opcode: 0x8, WireFrame.closePayload(1000, "bye"), mask: Self.key)
        f.fromClient(clientClose)
        #expect(f.toServer() == clientClose)
        let serverClose = WireFrame.bytes(opcode: 0x8, WireFrame.closePayload(1000, ""))
        f.fromServer(serverClose)
        #expect(f.toClient() == serverClose)
        #expect(!f.tunnel.isFinished, "the peers close their sockets themselves")
        // A drain arriving now has nothing left to say: both close frames were already exchanged.
        f.tunnel.initiateClose(.drain)
        #expect(f.toClient().isEmpty)
        #expect(f.toServer().isEmpty)
        #expect(f.tunnel.isFinished)
    }

    // MARK: Keep-alive and idle

    @Test func keepAlivePingsBothLegsAndSwallowsOnlyItsOwnPongs() throws {
        let before = NIODeadline.now()
        let f = try TunnelFixture(keepAlive: .init(interval: .seconds(30), timeout: .seconds(10)))
        let after = NIODeadline.now()
        f.tunnel.tick(now: before + .seconds(29))
        #expect(f.toServer().isEmpty)
        #expect(f.toClient().isEmpty)

        let start = after + .seconds(30)
        f.tunnel.tick(now: start)
        #expect(WireFrame.parse(f.toServer()) == [WireFrame(opcode: 0x9, masked: true, payload: Self.keepAlivePayload)])
        #expect(f.toClient() == WireFrame.bytes(opcode: 0x9, Self.keepAlivePayload))

        // The answers to our pings are ours: neither is relayed.
        f.fromServer(WireFrame.bytes(opcode: 0xA, Self.keepAlivePayload))
        f.fromClient(WireFrame.bytes(opcode: 0xA, Self.keepAlivePayload, mask: Self.key))
        #expect(f.toClient().isEmpty)
        #expect(f.toServer().isEmpty)
        // Any other pong belongs to the application and passes.
        let clientPong = WireFrame.bytes(opcode: 0xA, Array("app".utf8), mask: Self.key)
        f.fromClient(clientPong)
        #expect(f.toServer() == clientPong)
        let serverPong = WireFrame.bytes(opcode: 0xA, Array("app".utf8))
        f.fromServer(serverPong)
        #expect(f.toClient() == serverPong)

        // Both answered, so the timeout passing closes nothing (it may ping again).
        f.tunnel.tick(now: start + .seconds(10))
        #expect(!WireFrame.parse(f.toServer()).contains { $0.opcode == 0x8 })
        #expect(!WireFrame.parse(f.toClient()).contains { $0.opcode == 0x8 })
        #expect(!f.tunnel.isFinished)
        #expect(f.counter(GatewayMetricNames.tunnelTimeoutsTotal) == 0)
    }

    @Test func aLegThatStopsAnsweringPingsEndsTheTunnel() throws {
        let f = try TunnelFixture(keepAlive: .init(interval: .seconds(30), timeout: .seconds(10)), closeTimeout: .seconds(2))
        let start = NIODeadline.now() + .seconds(30)
        f.tunnel.tick(now: start)
        _ = f.toServer()
        _ = f.toClient()
        f.fromServer(WireFrame.bytes(opcode: 0xA, Self.keepAlivePayload))  // the endpoint answers, the client does not
        f.tunnel.tick(now: start + .seconds(9))
        #expect(!WireFrame.parse(f.toClient()).contains { $0.opcode == 0x8 })
        #expect(!WireFrame.parse(f.toServer()).contains { $0.opcode == 0x8 })

        f.tunnel.tick(now: start + .seconds(10))
        #expect(f.toClient() == WireFrame.bytes(opcode: 0x8, WireFrame.closePayload(1001, "peer stopped answering pings")))
        #expect(WireFrame.parse(f.toServer()).last == WireFrame(opcode: 0x8, masked: true, payload: WireFrame.closePayload(1001, "peer stopped answering pings")))
        #expect(f.counter(GatewayMetricNames.tunnelTimeoutsTotal) == 1)
        f.loop.advanceTime(by: .seconds(2))
        #expect(f.tunnel.isFinished)
        #expect(!f.client.isActive)
        #expect(!f.server.isActive)
    }

    @Test func idleTimeoutCountsOnlyDataFrames() throws {
        let f = try TunnelFixture(idleTimeout: .seconds(60))
        let beforeData = NIODeadline.now()
        f.fromClient(WireFrame.bytes(opcode: 0x1, Array("data".utf8), mask: Self.key))
        let afterData = NIODeadline.now()
        _ = f.toServer()
        f.tunnel.tick(now: beforeData + .seconds(59))
        #expect(f.toClient().isEmpty)
        // Control frames keep a connection alive for keep-alive, not for the idle timeout.
        f.fromClient(WireFrame.bytes(opcode: 0x9, [], mask: Self.key))
        f.fromServer(WireFrame.bytes(opcode: 0xA, []))
        _ = f.toServer()
        _ = f.toClient()
        f.tunnel.tick(now: afterData + .seconds(60))
        #expect(f.toClient() == WireFrame.bytes(opcode: 0x8, WireFrame.closePayload(1001, "idle timeout")))
        #expect(WireFrame.parse(f.toServer()) == [WireFrame(opcode: 0x8, masked: true, payload: WireFrame.closePayload(1001, "idle timeout"))])
        #expect(f.counter(GatewayMetricNames.tunnelTimeoutsTotal) == 1)
    }

    // MARK: Half-close and backpressure

    /// `EmbeddedChannel` ignores the close mode (any close is a full close), so each leg has a probe at its
    /// head that records the mode and keeps an output-only close from reaching the embedded core.
    @Test func halfCloseFromOneLegShutsTheOtherLegsOutputOnly() throws {
        let f = try TunnelFixture()
        f.client.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(f.serverProbe.closeModes == [.output])
        #expect(f.clientProbe.closeModes.isEmpty)
        #expect(!f.tunnel.isFinished)
        // The other direction keeps flowing.
        let reply = WireFrame.bytes(opcode: 0x1, Array("still here".utf8))
        f.fromServer(reply)
        #expect(f.toClient() == reply)

        f.server.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(f.clientProbe.closeModes == [.output])
    }

    @Test func aLegReadsOnlyWhileTheOtherLegIsWritable() throws {
        let f = try TunnelFixture()
        let baseline = (client: f.clientProbe.reads, server: f.serverProbe.reads)
        f.client.read()
        #expect(f.clientProbe.reads == baseline.client + 1, "writable partner: the read goes through")

        f.server.isWritable = false
        f.server.pipeline.fireChannelWritabilityChanged()
        f.client.read()
        #expect(f.clientProbe.reads == baseline.client + 1, "the client leg holds its read while the endpoint leg is full")
        f.server.read()
        #expect(f.serverProbe.reads == baseline.server + 1, "the endpoint leg still reads: the client leg is writable")

        f.server.isWritable = true
        f.server.pipeline.fireChannelWritabilityChanged()
        #expect(f.clientProbe.reads == baseline.client + 2, "the held read is issued when writability returns")
        f.server.pipeline.fireChannelWritabilityChanged()
        #expect(f.clientProbe.reads == baseline.client + 2, "and only once")

        f.client.isWritable = false
        f.server.read()
        #expect(f.serverProbe.reads == baseline.server + 1)
        f.client.isWritable = true
        f.client.pipeline.fireChannelWritabilityChanged()
        #expect(f.serverProbe.reads == baseline.server + 2)
    }
}

// MARK: - Fixture

/// Two embedded legs joined by a ``Tunnel``. Closing the channels on deinit ends the tunnel (breaking its
/// retain cycle with the relay handlers) and cancels its timers.
private final class TunnelFixture {
    let loop = EmbeddedEventLoop()
    let client: EmbeddedChannel
    let server: EmbeddedChannel
    let clientProbe = LegProbe()
    let serverProbe = LegProbe()
    let metrics = RecordingMetricsFactory()
    let tunnel: Tunnel
    private let finishes = FinishCounter()

    var finishCount: Int { finishes.count }

    init(
        keepAlive: KeepAliveConfiguration = .init(interval: .zero, timeout: .zero),
        idleTimeout: Duration = .zero,
        closeTimeout: TimeAmount = .seconds(5)
    ) throws {
        client = EmbeddedChannel(loop: loop)
        server = EmbeddedChannel(loop: loop)
        let downRelay = TunnelRelayHandler(side: .downstream)
        let upRelay = TunnelRelayHandler(side: .upstream)
        try client.pipeline.syncOperations.addHandlers([clientProbe, downRelay])
        try server.pipeline.syncOperations.addHandlers([serverProbe, upRelay])
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 9)
        client.connect(to: address, promise: nil)
        server.connect(to: address, promise: nil)
        var logger = Logger(label: "test.tunnel")
        logger.logLevel = .critical
        tunnel = Tunnel(
            id: .make(),
            cluster: "app",
            endpoint: "10.0.0.1:80",
            downstream: downRelay,
            upstream: upRelay,
            eventLoop: loop,
            keepAlive: keepAlive,
            idleTimeout: idleTimeout,
            closeTimeout: closeTimeout,
            metrics: GatewayMetrics(factory: metrics).endpoint(cluster: "app", endpoint: "10.0.0.1:80"),
            logger: { logger }
        )
        let finishes = self.finishes
        tunnel.onFinish = { _ in finishes.count += 1 }
    }

    deinit {
        _ = try? client.finish(acceptAlreadyClosed: true)
        _ = try? server.finish(acceptAlreadyClosed: true)
    }

    func fromClient(_ bytes: [UInt8]) {
        try! client.writeInbound(ByteBuffer(bytes: bytes))
    }

    func fromServer(_ bytes: [UInt8]) {
        try! server.writeInbound(ByteBuffer(bytes: bytes))
    }

    /// Everything the gateway wrote and flushed towards the client since the last call.
    func toClient() -> [UInt8] { Self.drain(client) }

    /// Everything the gateway wrote and flushed towards the endpoint since the last call.
    func toServer() -> [UInt8] { Self.drain(server) }

    private static func drain(_ channel: EmbeddedChannel) -> [UInt8] {
        var bytes: [UInt8] = []
        while let buffer = try! channel.readOutbound(as: ByteBuffer.self) {
            bytes += buffer.readableBytesView
        }
        return bytes
    }

    func counter(_ label: String, direction: String? = nil) -> Int64 {
        var dimensions = [("cluster", "app"), ("endpoint", "10.0.0.1:80")]
        if let direction { dimensions.append(("direction", direction)) }
        return metrics.counter(label, dimensions)
    }
}

private final class FinishCounter {
    var count = 0
}

/// Sits at the head of a leg's pipeline: counts the reads the relay lets through and records close modes.
/// Output-only closes stop here (see ``TunnelTests/halfCloseFromOneLegShutsTheOtherLegsOutputOnly()``).
private final class LegProbe: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer

    var reads = 0
    var closeModes: [CloseMode] = []

    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        closeModes.append(mode)
        if mode == .output {
            promise?.succeed()
        } else {
            context.close(mode: mode, promise: promise)
        }
    }
}

// MARK: - Frames on the wire

/// A decoded frame (payload unmasked) for asserting on frames the gateway builds with a random masking key.
private struct WireFrame: Equatable, CustomStringConvertible {
    var fin = true
    var opcode: UInt8
    var masked: Bool
    var payload: [UInt8]

    var description: String { "frame(op: \(opcode), fin: \(fin), masked: \(masked), payload: \(payload))" }

    /// One frame's bytes; `rsv` holds the raw RSV bits (0x40 = RSV1), `mask` the masking key if any.
    static func bytes(opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0, mask: [UInt8]? = nil) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | rsv | opcode]
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        if payload.count < 126 {
            out.append(maskBit | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            out.append(maskBit | 126)
            out += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            out.append(maskBit | 127)
            out += (0..<8).reversed().map { UInt8((UInt64(payload.count) >> (8 * UInt64($0))) & 0xFF) }
        }
        if let mask {
            out += mask
            out += payload.enumerated().map { $0.element ^ mask[$0.offset & 3] }
        } else {
            out += payload
        }
        return out
    }

    static func closePayload(_ code: UInt16, _ reason: String) -> [UInt8] {
        [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8)
    }

    /// Splits `bytes` into complete frames (short and 16-bit lengths); a trailing partial frame is an issue.
    static func parse(_ bytes: [UInt8]) -> [WireFrame] {
        var frames: [WireFrame] = []
        var index = 0
        while index < bytes.count {
            guard bytes.count - index >= 2 else {
                Issue.record("trailing partial frame header")
                break
            }
            let masked = bytes[index + 1] & 0x80 != 0
            var length = Int(bytes[index + 1] & 0x7F)
            var cursor = index + 2
            if length == 126 {
                length = Int(bytes[cursor]) << 8 | Int(bytes[cursor + 1])
                cursor += 2
            }
            let key = masked ? Array(bytes[cursor..<(cursor + 4)]) : [0, 0, 0, 0]
            if masked { cursor += 4 }
            guard cursor + length <= bytes.count else {
                Issue.record("trailing partial frame")
                break
            }
            let payload = bytes[cursor..<(cursor + length)].enumerated().map { $0.element ^ key[$0.offset & 3] }
            frames.append(WireFrame(fin: bytes[index] & 0x80 != 0, opcode: bytes[index] & 0x0F, masked: masked, payload: payload))
            index = cursor + length
        }
        return frames
    }
}

extension Array where Element == UInt8 {
    fileprivate func chunked(_ size: Int) -> [[UInt8]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
