import Testing
import TetherGatewayCore
import TetherProtocol

/// Session mode's bookkeeping (pure): id translation, positions, duplicate suppression, re-binding.
@Suite struct SessionTrackerTests {
    let epoch = "E1"

    func position(_ offset: UInt64) -> StreamPosition { StreamPosition(offset: offset, epoch: self.epoch) }

    func pub(_ channel: String, _ offset: UInt64, epoch: String? = nil) -> String {
        Push.pub(channel: channel, epoch: epoch ?? self.epoch, publication: Publication(offset: offset, data: RawJSON(unchecked: "\(offset)"))).frame()
    }

    func publication(_ offset: UInt64) -> Publication { Publication(offset: offset, data: RawJSON(unchecked: "\(offset)")) }

    /// The command the node got, decoded.
    func upstream(_ text: String) throws -> ClientCommand {
        guard case .command(let command) = ClientCommand.decode(text) else { throw SessionTracker.Failure.upstreamFrame(text) }
        return command
    }

    func connectReply(id: UInt32, session: String = "s1", subs: [SubscribeResult] = [], errors: [ChannelError] = []) -> String {
        ServerMessage.encodeReply(id: id, result: ConnectResult(
            client: "c1", session: session, resumed: true, node: "n1", pingMs: 25_000, sessionTTLMs: 60_000, subs: subs, subErrors: errors
        ))
    }

    /// A tracker whose client connected (session s1) and subscribed to `chat:a` at offset 5.
    func connected() throws -> SessionTracker {
        var tracker = SessionTracker(keyPrefix: "gw")
        let connect = try tracker.fromClient(#"{"id":1,"op":"connect","token":"T"}"#)
        let connectID = try self.upstream(connect.toUpstream[0]).id
        _ = try tracker.fromUpstream(self.connectReply(id: connectID))
        let subscribe = try tracker.fromClient(#"{"id":2,"op":"subscribe","channel":"chat:a"}"#)
        let subscribeID = try self.upstream(subscribe.toUpstream[0]).id
        _ = try tracker.fromUpstream(ServerMessage.encodeReply(
            id: subscribeID, result: SubscribeResult(channel: "chat:a", position: self.position(5), recoverable: true)
        ))
        return tracker
    }

    @Test func idsAreTranslatedBothWays() throws {
        var tracker = SessionTracker(keyPrefix: "gw")
        let first = try tracker.fromClient(#"{"id":7,"op":"ping"}"#)
        let second = try tracker.fromClient(#"{"id":7,"op":"ping"}"#)  // a client may reuse ids
        let ids = try [first.toUpstream[0], second.toUpstream[0]].map { try self.upstream($0).id }
        #expect(Set(ids).count == 2)
        let reply = try tracker.fromUpstream(ServerMessage.encodeReply(id: ids[1], result: EmptyResult()))
        #expect(reply.toClient == [#"{"id":7,"result":{}}"#])
        #expect(tracker.inFlightCount == 1)
        // A reply to an id nobody asked for is dropped.
        #expect(try tracker.fromUpstream(ServerMessage.encodeReply(id: 9_999, result: EmptyResult())).toClient.isEmpty)
    }

    @Test func publishesWithoutAKeyGetOneAndKeysAreKept() throws {
        var tracker = SessionTracker(keyPrefix: "gw-x")
        let output = try tracker.fromClient(#"{"id":1,"op":"publish","channel":"c","data":1}"# + "\n" + #"{"id":2,"op":"publish","channel":"c","data":2,"key":"mine"}"#)
        let keys = try output.toUpstream.map { text -> String? in
            guard case .publish(let request) = try self.upstream(text).op else { return nil }
            return request.key
        }
        #expect(keys == ["gw-x-1", "mine"])
    }

    @Test func positionsAdvanceAndRepeatsAreDropped() throws {
        var tracker = try self.connected()
        #expect(tracker.sessionID == "s1")
        #expect(tracker.deliveredPosition("chat:a") == self.position(5))
        let live = try tracker.fromUpstream([self.pub("chat:a", 5), self.pub("chat:a", 6), self.pub("chat:a", 6), self.pub("other", 1)].joined(separator: "\n"))
        #expect(live.toClient == [self.pub("chat:a", 6), self.pub("other", 1)])
        #expect(tracker.deliveredPosition("chat:a") == self.position(6))
        // Another epoch always passes: the client resyncs.
        #expect(try tracker.fromUpstream(self.pub("chat:a", 1, epoch: "E2")).toClient.count == 1)
    }

    @Test func aReconnectDisconnectStartsARebindAFinalOneClosesTheClient() throws {
        var tracker = try self.connected()
        let drain = try tracker.fromUpstream(Push.disconnect(.shutdown, delayMs: 100).frame())
        #expect(drain.rebind && drain.toClient.isEmpty)
        var other = try self.connected()
        let final = Push.disconnect(code: 3500, reason: "invalid token", reconnect: false, delayMs: nil).frame()
        let output = try other.fromUpstream(final)
        #expect(output.toClient == [final])
        #expect(output.closeClient?.code == 3500)
    }

    @Test func aRebindResumesTheSessionReplaysOnlyWhatIsNewAndResendsInOrder() throws {
        var tracker = try self.connected()
        let publish = try tracker.fromClient(#"{"id":3,"op":"publish","channel":"chat:a","data":{"x":1}}"#)
        let publishKey: String? = try {
            guard case .publish(let request) = try self.upstream(publish.toUpstream[0]).op else { return nil }
            return request.key
        }()
        let rebind = tracker.startRebind()
        #expect(tracker.isRebinding)
        let connect = try self.upstream(rebind.toUpstream[0])
        guard case .connect(let request) = connect.op else { Issue.record("not a connect"); return }
        #expect(request.token == "T" && request.session == "s1")
        #expect(request.subs == [SubscribeRequest(channel: "chat:a", since: self.position(5))])
        #expect(rebind.toUpstream.count == 1, "in-flight requests wait for the new node's connect reply")

        // The client keeps talking meanwhile: held, not sent.
        #expect(try tracker.fromClient(#"{"id":4,"op":"presence","channel":"chat:a"}"#).toUpstream.isEmpty)

        let resumed = try tracker.fromUpstream(self.connectReply(id: connect.id, subs: [SubscribeResult(
            channel: "chat:a", position: self.position(7), recoverable: true, recovered: true,
            publications: [self.publication(4), self.publication(5), self.publication(6), self.publication(7)]
        )]))
        #expect(!tracker.isRebinding)
        #expect(resumed.toClient == [self.pub("chat:a", 6), self.pub("chat:a", 7)], "the connect reply is swallowed; only what is new crosses")
        let resent = try resumed.toUpstream.map { try self.upstream($0) }
        #expect(resent.map(\.op.name) == ["publish", "presence"])
        guard case .publish(let again) = resent[0].op else { return }
        #expect(again.key == publishKey, "the publish is retried with the same key")
        // Their replies reach the client under its own ids.
        let answers = try tracker.fromUpstream(ServerMessage.encodeReply(id: resent[0].id, result: PublishResult(position: self.position(8))))
        #expect(answers.toClient.first?.hasPrefix(#"{"id":3,"#) == true)
        // A live repeat of what was replayed is dropped.
        #expect(try tracker.fromUpstream(self.pub("chat:a", 7)).toClient.isEmpty)
    }

    @Test func anUnrecoverableChannelGetsTheExactMissingRange() throws {
        var tracker = try self.connected()
        let connectID = try self.upstream(tracker.startRebind().toUpstream[0]).id
        var sub = SubscribeResult(
            channel: "chat:a", position: self.position(40), recoverable: true, recovered: false,
            reason: .trimmed, missing: OffsetRange(from: 6, to: 29), publications: [self.publication(30)]
        )
        sub.more = false
        let output = try tracker.fromUpstream(self.connectReply(id: connectID, subs: [sub]))
        #expect(output.toClient == [Push.gap(channel: "chat:a", missing: OffsetRange(from: 6, to: 29)).frame(), self.pub("chat:a", 30)])
    }

    @Test func aTruncatedRecoveryIsCompletedWithTheGatewaysOwnHistoryReads() throws {
        var tracker = try self.connected()
        let connectID = try self.upstream(tracker.startRebind().toUpstream[0]).id
        var sub = SubscribeResult(channel: "chat:a", position: self.position(9), recoverable: true, recovered: true, publications: [self.publication(6), self.publication(7)])
        sub.more = true
        let output = try tracker.fromUpstream(self.connectReply(id: connectID, subs: [sub]))
        #expect(output.toClient == [self.pub("chat:a", 6), self.pub("chat:a", 7)])
        let history = try self.upstream(output.toUpstream[0])
        #expect(history.op == .history(HistoryRequest(channel: "chat:a", since: self.position(7))))
        let rest = try tracker.fromUpstream(ServerMessage.encodeReply(
            id: history.id, result: HistoryResult(position: self.position(9), publications: [self.publication(8), self.publication(9)])
        ))
        #expect(rest.toClient == [self.pub("chat:a", 8), self.pub("chat:a", 9)], "the history reply itself never reaches the client")
    }

    @Test func liveTrafficWaitsWhileATruncatedRecoveryIsCompleted() throws {
        var tracker = try self.connected()
        let connectID = try self.upstream(tracker.startRebind().toUpstream[0]).id
        var sub = SubscribeResult(channel: "chat:a", position: self.position(9), recoverable: true, recovered: true, publications: [self.publication(6)])
        sub.more = true
        let output = try tracker.fromUpstream(self.connectReply(id: connectID, subs: [sub]))
        let history = try self.upstream(output.toUpstream[0])
        #expect(tracker.isHolding("chat:a") && tracker.isCatchingUp)
        // Live publications 10 and 11 arrive before the history reply: they wait.
        #expect(try tracker.fromUpstream(self.pub("chat:a", 10) + "\n" + self.pub("chat:a", 11)).toClient.isEmpty)
        let rest = try tracker.fromUpstream(ServerMessage.encodeReply(
            id: history.id, result: HistoryResult(position: self.position(11), publications: (7...10).map(self.publication))
        ))
        #expect(rest.toClient == (7...11).map { self.pub("chat:a", $0) }, "in order, 10 once")
        #expect(!tracker.isHolding("chat:a") && !tracker.isCatchingUp)
    }

    @Test func leavingAChannelWhileItCatchesUpDropsWhatWasHeldAndSettlesTheSession() throws {
        var tracker = try self.connected()
        #expect(tracker.isSettled)
        let connectID = try self.upstream(tracker.startRebind().toUpstream[0]).id
        var sub = SubscribeResult(channel: "chat:a", position: self.position(9), recoverable: true, recovered: true, publications: [self.publication(6)])
        sub.more = true
        let history = try self.upstream(try tracker.fromUpstream(self.connectReply(id: connectID, subs: [sub])).toUpstream[0])
        #expect(!tracker.isSettled, "a catch-up read is outstanding: no migration now")
        #expect(try tracker.fromUpstream(self.pub("chat:a", 10)).toClient.isEmpty)
        let leave = try self.upstream(try tracker.fromClient(#"{"id":5,"op":"unsubscribe","channel":"chat:a"}"#).toUpstream[0])
        _ = try tracker.fromUpstream(ServerMessage.encodeReply(id: leave.id, result: EmptyResult()))
        let late = try tracker.fromUpstream(ServerMessage.encodeReply(
            id: history.id, result: HistoryResult(position: self.position(10), publications: (7...10).map(self.publication))
        ))
        #expect(late.toClient.isEmpty, "nothing of a channel the client left")
        #expect(tracker.isSettled)
    }

    @Test func aMigrationReportsOnlyTheRangeTheOldNodeDidNotDeliver() throws {
        var tracker = try self.connected()
        let connectID = try self.upstream(tracker.startRebind().toUpstream[0]).id  // since 5
        // The old node keeps delivering 6...8 while the new one answers.
        #expect(try tracker.fromUpstream((6...8).map { self.pub("chat:a", $0) }.joined(separator: "\n")).toClient.count == 3)
        var sub = SubscribeResult(channel: "chat:a", position: self.position(12), recoverable: true, recovered: false, publications: (11...12).map(self.publication))
        sub.missing = OffsetRange(from: 6, to: 10)
        let resumed = try tracker.fromUpstream(self.connectReply(id: connectID, subs: [sub]))
        #expect(resumed.toClient == [Push.gap(channel: "chat:a", missing: OffsetRange(from: 9, to: 10)).frame(), self.pub("chat:a", 11), self.pub("chat:a", 12)])
    }

    @Test func aTemporaryRefusalKeepsTheRebindGoingAndTheCommandsHeld() throws {
        var tracker = try self.connected()
        let connectID = try self.upstream(tracker.startRebind().toUpstream[0]).id
        let sub = SubscribeResult(channel: "chat:a", position: self.position(9), recoverable: true, recovered: true, publications: [self.publication(6)])
        let refusal = ChannelError(channel: "chat:a", error: ProtocolError(.unavailable))
        #expect(throws: SessionTracker.Failure.rebindRefused(ProtocolError(.unavailable))) {
            _ = try tracker.fromUpstream(self.connectReply(id: connectID, subs: [sub], errors: [refusal]))
        }
        #expect(tracker.isRebinding)
        #expect(tracker.deliveredPosition("chat:a") == self.position(5), "nothing of the refused reply was taken")
        #expect(try tracker.fromClient(#"{"id":9,"op":"ping"}"#).toUpstream.isEmpty, "still held")
        let retry = try self.upstream(tracker.startRebind().toUpstream[0])
        guard case .connect(let request) = retry.op else { throw SessionTracker.Failure.upstreamFrame("not a connect") }
        #expect(request.subs == [SubscribeRequest(channel: "chat:a", since: self.position(5))])
    }

    @Test func aMigrationCalledOffSendsWhatWasHeldToTheOldNode() throws {
        var tracker = try self.connected()
        let inFlight = try tracker.fromClient(#"{"id":8,"op":"presence","channel":"chat:a"}"#)
        _ = tracker.startRebind()
        #expect(try tracker.fromClient(#"{"id":9,"op":"ping"}"#).toUpstream.isEmpty)
        let cancelled = tracker.cancelRebind()
        #expect(!tracker.isRebinding)
        #expect(try cancelled.toUpstream.map { try self.upstream($0).op } == [.ping], "the presence request is still in flight on the old node")
        #expect(inFlight.toUpstream.count == 1)
        #expect(try tracker.fromClient(#"{"id":10,"op":"ping"}"#).toUpstream.count == 1)
    }

    @Test func subscriptionsChangedDuringAMigrationAreCarriedOver() throws {
        var tracker = try self.connected()
        let join = try self.upstream(try tracker.fromClient(#"{"id":3,"op":"subscribe","channel":"chat:b"}"#).toUpstream[0])
        let leave = try self.upstream(try tracker.fromClient(#"{"id":4,"op":"unsubscribe","channel":"chat:a"}"#).toUpstream[0])
        let connectID = try self.upstream(tracker.startRebind().toUpstream[0]).id  // names chat:a only
        // The old node answers both before the new one answers the connect.
        _ = try tracker.fromUpstream(ServerMessage.encodeReply(id: join.id, result: SubscribeResult(channel: "chat:b", position: self.position(2), recoverable: true)))
        _ = try tracker.fromUpstream(ServerMessage.encodeReply(id: leave.id, result: EmptyResult()))
        let resumed = try tracker.fromUpstream(self.connectReply(id: connectID, subs: [
            SubscribeResult(channel: "chat:a", position: self.position(7), recoverable: true, recovered: true, publications: [self.publication(6), self.publication(7)])
        ]))
        #expect(resumed.toClient.isEmpty, "chat:a was left: nothing of it reaches the client")
        let sent = try resumed.toUpstream.map { try self.upstream($0) }
        #expect(sent.map(\.op) == [.unsubscribe(channel: "chat:a"), .subscribe(SubscribeRequest(channel: "chat:b", since: self.position(2)))])
        #expect(try tracker.fromUpstream(self.pub("chat:a", 8)).toClient.isEmpty)
        let joined = try tracker.fromUpstream(ServerMessage.encodeReply(id: sent[1].id, result: SubscribeResult(
            channel: "chat:b", position: self.position(3), recoverable: true, recovered: true, publications: [self.publication(3)]
        )))
        #expect(joined.toClient == [self.pub("chat:b", 3)])
        _ = try tracker.fromUpstream(ServerMessage.encodeReply(id: sent[0].id, result: EmptyResult()))
        #expect(!tracker.isHolding("chat:a"))
    }

    @Test func aRefusedResumeEndsTheSession() throws {
        var tracker = try self.connected()
        let connectID = try self.upstream(tracker.startRebind().toUpstream[0]).id
        #expect(throws: SessionTracker.Failure.rebindRefused(ProtocolError(.unauthorized))) {
            _ = try tracker.fromUpstream(ServerMessage.encodeError(id: connectID, error: ProtocolError(.unauthorized)))
        }
    }

    @Test func beforeTheFirstConnectReplyARebindSimplySendsItAgain() throws {
        var tracker = SessionTracker(keyPrefix: "gw")
        let first = try tracker.fromClient(#"{"id":1,"op":"connect","token":"T"}"#)
        let again = tracker.startRebind()
        #expect(again.toUpstream == first.toUpstream)
        #expect(!tracker.isRebinding)
    }

    @Test func backlogsAreBounded() throws {
        var tracker = SessionTracker(keyPrefix: "gw", limits: .init(maxInFlight: 2, maxQueuedBytes: 1 << 20))
        _ = try tracker.fromClient(#"{"id":1,"op":"ping"}"#)
        _ = try tracker.fromClient(#"{"id":2,"op":"ping"}"#)
        #expect(throws: SessionTracker.Failure.backlogFull) { _ = try tracker.fromClient(#"{"id":3,"op":"ping"}"#) }

        var rebinding = SessionTracker(keyPrefix: "gw", limits: .init(maxInFlight: 100, maxQueuedBytes: 40))
        _ = try rebinding.fromClient(#"{"id":1,"op":"connect","token":"T"}"#)
        _ = try rebinding.fromUpstream(self.connectReply(id: 1))
        _ = rebinding.startRebind()
        _ = try rebinding.fromClient(#"{"id":2,"op":"ping"}"#)
        #expect(throws: SessionTracker.Failure.backlogFull) { _ = try rebinding.fromClient(#"{"id":3,"op":"presence","channel":"a-long-channel-name"}"#) }
    }

    @Test func badClientInputIsAnsweredOrEndsTheSession() throws {
        var tracker = SessionTracker(keyPrefix: "gw")
        let unknown = try tracker.fromClient(#"{"id":5,"op":"teleport"}"#)
        #expect(unknown.toUpstream.isEmpty)
        #expect(unknown.toClient.first?.contains(#""code":104"#) == true)
        #expect(throws: SessionTracker.Failure.self) { _ = try tracker.fromClient("not json") }
        #expect(throws: SessionTracker.Failure.self) { _ = try tracker.fromUpstream("not json either") }
    }
}
