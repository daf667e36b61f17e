import TetherProtocol
import Testing

@testable import TetherCommand

@Suite struct BenchNodeScannerTests {
    func classify(_ text: String) -> NodeBenchMessage {
        Array(text.utf8).withUnsafeBytes { NodeBenchScanner.classify($0) }
    }

    func split(_ text: String) -> [String] {
        var out: [String] = []
        Array(text.utf8).withUnsafeBytes { frame in
            NodeBenchScanner.forEachMessage(in: frame) { out.append(String(decoding: $0, as: UTF8.self)) }
        }
        return out
    }

    @Test func extractsOffsetAndSendTimeFromThePushTheNodeEncodes() throws {
        let data = try RawJSON(validating: NodePublication.data(sentAt: 123_456_789_012, size: 100))
        let frame = Push.pub(channel: "bench:3", epoch: "ep1", publication: Publication(offset: 4711, data: data)).frame()
        #expect(classify(frame) == .publication(offset: 4711, sentAt: 123_456_789_012))
    }

    @Test func aPublicationWithoutTheBenchTimestampIsUntimed() {
        #expect(classify(#"{"push":"pub","channel":"c","offset":7,"epoch":"e","data":{"text":"hi"}}"#) == .publication(offset: 7, sentAt: nil))
    }

    @Test func publishRepliesCarryTheirOffsetAndErrorsAreFailures() {
        let ok = ServerMessage.encodeReply(id: 9, result: PublishResult(position: StreamPosition(offset: 45, epoch: "ab")))
        #expect(classify(ok) == .reply(id: 9, offset: 45, failed: false))
        let refused = ServerMessage.encodeError(id: 10, error: ProtocolError(.permissionDenied))
        #expect(classify(refused) == .reply(id: 10, offset: nil, failed: true))
    }

    @Test func connectReplyGivesTheSubscriptionsPositionAndSubErrorsFail() {
        let subscribed = ConnectResult(
            client: "c-1", session: "s-1", resumed: false, node: "n", pingMs: 25_000, sessionTTLMs: 120_000,
            subs: [SubscribeResult(channel: "bench:0", position: StreamPosition(offset: 12, epoch: "e"), recoverable: true)]
        )
        #expect(classify(ServerMessage.encodeReply(id: 1, result: subscribed)) == .reply(id: 1, offset: 12, failed: false))
        let refused = ConnectResult(
            client: "c-1", session: "s-1", resumed: false, node: "n", pingMs: 25_000, sessionTTLMs: 120_000,
            subErrors: [ChannelError(channel: "bench:0", error: ProtocolError(.permissionDenied))]
        )
        #expect(classify(ServerMessage.encodeReply(id: 1, result: refused)) == .reply(id: 1, offset: nil, failed: true))
    }

    @Test func otherPushes() {
        #expect(classify(Push.ping.frame()) == .ping)
        #expect(classify(Push.disconnect(code: 3003, reason: "slow", reconnect: true, delayMs: nil).frame()) == .disconnect(code: 3003))
        #expect(classify(#"{"push":"join","channel":"c","info":{"client":"x","user":"u"}}"#) == .other)
        #expect(classify("not json") == .other)
    }

    @Test func batchedFramesSplitOnLineFeedsInOrder() {
        #expect(split("a\nbb\n\nccc") == ["a", "bb", "ccc"])
        #expect(split("") == [])
        #expect(split("only") == ["only"])
    }

    @Test func paddingReachesTheRequestedSize() {
        #expect(NodePublication.data(sentAt: 1, size: 200).utf8.count == 200)
        #expect(NodePublication.data(sentAt: 99, size: 32).utf8.count == 32)
    }
}
