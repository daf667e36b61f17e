import Testing

@testable import TetherProtocol

/// Every reply and push of docs/protocol.md (sections 3 and 4): the golden text decodes to the typed value and
/// the typed value encodes back to exactly the golden text.
@Suite struct ServerMessageGoldenTests {
    struct ReplyGolden: Sendable, CustomTestStringConvertible {
        let text: String
        let id: UInt32
        /// Encodes the typed result the node would send.
        let encode: @Sendable (UInt32) -> String
        /// Decodes the result as the client would and reports whether it equals the expected value.
        let matches: @Sendable (JSONValue) throws -> Bool
        var testDescription: String { self.text }

        init<R: JSONEncodable & JSONDecodable & Equatable & Sendable>(_ text: String, id: UInt32, _ result: R) {
            self.text = text
            self.id = id
            self.encode = { ServerMessage.encodeReply(id: $0, result: result) }
            self.matches = { try R(json: $0) == result }
        }
    }

    static func ab12(_ offset: UInt64) -> StreamPosition { StreamPosition(offset: offset, epoch: "ab12") }
    static let alice = ClientInfo(client: "c-9f", user: "alice")

    static let recoveredSubscribe = SubscribeResult(
        channel: "chat:lobby",
        position: ab12(44),
        recoverable: true,
        recovered: true,
        publications: [
            Publication(offset: 42, data: RawJSON(unchecked: #"{"text":"a"}"#)),
            Publication(offset: 43, data: RawJSON(unchecked: #""b""#), info: ClientInfo(client: "c-1", user: "bob")),
            Publication(offset: 44, data: RawJSON(unchecked: "[1,2.5,null,true]")),
        ]
    )

    static let replies: [ReplyGolden] = [
        ReplyGolden(
            #"{"id":1,"result":{"client":"c-9f","session":"s-3a","resumed":true,"node":"node-1","version":1,"ping_ms":25000,"session_ttl_ms":120000,"expires_at":1795000000000,"subs":{"chat:lobby":{"channel":"chat:lobby","position":{"offset":44,"epoch":"ab12"},"recoverable":true,"recovered":true,"publications":[{"offset":42,"data":{"text":"a"}},{"offset":43,"data":"b","info":{"client":"c-1","user":"bob"}},{"offset":44,"data":[1,2.5,null,true]}]}},"sub_errors":{"admin:x":{"code":103,"message":"permission denied","temporary":false}}}}"#,
            id: 1,
            ConnectResult(
                client: "c-9f",
                session: "s-3a",
                resumed: true,
                node: "node-1",
                pingMs: 25000,
                sessionTTLMs: 120_000,
                expiresAt: 1_795_000_000_000,
                subs: [recoveredSubscribe],
                subErrors: [ChannelError(channel: "admin:x", error: ProtocolError(.permissionDenied))]
            )
        ),
        ReplyGolden(
            #"{"id":1,"result":{"client":"c-1","session":"s-1","resumed":false,"node":"n","version":1,"ping_ms":25000,"session_ttl_ms":120000,"subs":{}}}"#,
            id: 1,
            ConnectResult(client: "c-1", session: "s-1", resumed: false, node: "n", pingMs: 25000, sessionTTLMs: 120_000)
        ),
        ReplyGolden(
            #"{"id":2,"result":{"channel":"chat:lobby","position":{"offset":44,"epoch":"ab12"},"recoverable":true,"recovered":true,"publications":[{"offset":42,"data":{"text":"a"}},{"offset":43,"data":"b","info":{"client":"c-1","user":"bob"}},{"offset":44,"data":[1,2.5,null,true]}]}}"#,
            id: 2,
            recoveredSubscribe
        ),
        ReplyGolden(
            #"{"id":2,"result":{"channel":"chat:lobby","position":{"offset":44,"epoch":"ab12"},"recoverable":true}}"#,
            id: 2,
            SubscribeResult(channel: "chat:lobby", position: ab12(44), recoverable: true)
        ),
        ReplyGolden(
            #"{"id":2,"result":{"channel":"chat:lobby","position":{"offset":44,"epoch":"ab12"},"recoverable":true,"recovered":false,"reason":"trimmed","missing":{"from":42,"to":43},"publications":[{"offset":44,"data":1}]}}"#,
            id: 2,
            SubscribeResult(
                channel: "chat:lobby",
                position: ab12(44),
                recoverable: true,
                recovered: false,
                reason: .trimmed,
                missing: OffsetRange(from: 42, to: 43),
                publications: [Publication(offset: 44, data: RawJSON(unchecked: "1"))]
            )
        ),
        ReplyGolden(
            #"{"id":2,"result":{"channel":"chat:lobby","position":{"offset":44,"epoch":"ab12"},"recoverable":true,"recovered":false,"reason":"trimmed","missing":{"from":42,"to":44},"publications":[]}}"#,
            id: 2,
            SubscribeResult(
                channel: "chat:lobby",
                position: ab12(44),
                recoverable: true,
                recovered: false,
                reason: .trimmed,
                missing: OffsetRange(from: 42, to: 44),
                publications: []
            )
        ),
        ReplyGolden(
            #"{"id":2,"result":{"channel":"chat:lobby","position":{"offset":3,"epoch":"zz99"},"recoverable":true,"recovered":false,"reason":"epoch"}}"#,
            id: 2,
            SubscribeResult(
                channel: "chat:lobby",
                position: StreamPosition(offset: 3, epoch: "zz99"),
                recoverable: true,
                recovered: false,
                reason: .epoch
            )
        ),
        ReplyGolden(#"{"id":3,"result":{}}"#, id: 3, EmptyResult()),
        ReplyGolden(
            #"{"id":4,"result":{"position":{"offset":45,"epoch":"ab12"}}}"#,
            id: 4,
            PublishResult(position: ab12(45))
        ),
        ReplyGolden(
            #"{"id":4,"result":{"position":{"offset":45,"epoch":"ab12"},"duplicate":true}}"#,
            id: 4,
            PublishResult(position: ab12(45), duplicate: true)
        ),
        ReplyGolden(
            #"{"id":5,"result":{"position":{"offset":45,"epoch":"ab12"},"publications":[{"offset":44,"data":{"n":18446744073709551615}},{"offset":45,"data":"x","info":{"client":"c-9f","user":"alice"}}],"missing":{"from":42,"to":43}}}"#,
            id: 5,
            HistoryResult(
                position: ab12(45),
                publications: [
                    Publication(offset: 44, data: RawJSON(unchecked: #"{"n":18446744073709551615}"#)),
                    Publication(offset: 45, data: RawJSON(unchecked: #""x""#), info: alice),
                ],
                missing: OffsetRange(from: 42, to: 43)
            )
        ),
        ReplyGolden(
            #"{"id":5,"result":{"position":{"offset":0,"epoch":""},"publications":[]}}"#,
            id: 5,
            HistoryResult(position: StreamPosition(offset: 0, epoch: ""), publications: [])
        ),
        ReplyGolden(
            #"{"id":6,"result":{"clients":[{"client":"c-9f","user":"alice","data":{"name":"Alice"}},{"client":"c-2","user":""}]}}"#,
            id: 6,
            PresenceResult(clients: [
                ClientInfo(client: "c-9f", user: "alice", data: RawJSON(unchecked: #"{"name":"Alice"}"#)),
                ClientInfo(client: "c-2", user: ""),
            ])
        ),
        ReplyGolden(#"{"id":7,"result":{"clients":3,"users":2}}"#, id: 7, PresenceStatsResult(clients: 3, users: 2)),
        ReplyGolden(#"{"id":8,"result":{"expires_at":1795000300000}}"#, id: 8, RefreshResult(expiresAt: 1_795_000_300_000)),
        ReplyGolden(#"{"id":8,"result":{}}"#, id: 8, RefreshResult(expiresAt: nil)),
        ReplyGolden(#"{"id":9,"result":{}}"#, id: 9, EmptyResult()),
    ]

    @Test(arguments: Self.replies)
    func replyGoldens(_ golden: ReplyGolden) throws {
        #expect(golden.encode(golden.id) == golden.text)
        let message = try ServerMessage.decode(golden.text)
        guard case .reply(let id, let result) = message else {
            Issue.record("not a reply: \(message)")
            return
        }
        #expect(id == golden.id)
        #expect(try golden.matches(result))
        // The generic path writes the same text.
        #expect(message.encoded() == golden.text)
    }

    struct ErrorGolden: Sendable, CustomTestStringConvertible {
        let text: String
        let id: UInt32
        let error: ProtocolError
        var testDescription: String { self.text }
    }

    static let errors: [ErrorGolden] = [
        ErrorGolden(
            text: #"{"id":2,"error":{"code":103,"message":"permission denied","temporary":false}}"#,
            id: 2,
            error: ProtocolError(.permissionDenied)
        ),
        ErrorGolden(
            text: #"{"id":4,"error":{"code":114,"message":"engine unreachable","temporary":true}}"#,
            id: 4,
            error: ProtocolError(.unavailable, "engine unreachable")
        ),
        ErrorGolden(
            text: #"{"id":5,"error":{"code":111,"message":"epoch mismatch","temporary":false}}"#,
            id: 5,
            error: ProtocolError(.epochMismatch)
        ),
        ErrorGolden(
            text: #"{"id":6,"error":{"code":199,"message":"future","temporary":true}}"#,
            id: 6,
            error: ProtocolError(ErrorCode(rawValue: 199), "future", temporary: true)
        ),
    ]

    @Test(arguments: Self.errors)
    func errorReplies(_ golden: ErrorGolden) throws {
        #expect(ServerMessage.encodeError(id: golden.id, error: golden.error) == golden.text)
        #expect(ServerMessage.error(id: golden.id, golden.error).encoded() == golden.text)
        #expect(try ServerMessage.decode(golden.text) == .error(id: golden.id, golden.error))
    }

    @Test func errorDefaultsWhenFieldsAreAbsent() throws {
        // docs/protocol.md shows sub_errors without "temporary".
        let message = try ServerMessage.decode(#"{"id":3,"error":{"code":110}}"#)
        #expect(message == .error(id: 3, ProtocolError(.tooManyRequests, "too many requests", temporary: true)))
    }

    struct PushGolden: Sendable, CustomTestStringConvertible {
        let text: String
        let push: Push
        var testDescription: String { self.text }
    }

    static let pushes: [PushGolden] = [
        PushGolden(
            text: #"{"push":"pub","channel":"chat:lobby","offset":45,"epoch":"ab12","data":{"text":"hi"},"info":{"client":"c-9f","user":"alice"}}"#,
            push: .pub(channel: "chat:lobby", epoch: "ab12", publication: Publication(offset: 45, data: RawJSON(unchecked: #"{"text":"hi"}"#), info: alice))
        ),
        PushGolden(
            text: #"{"push":"pub","channel":"news","offset":18446744073709551615,"epoch":"e","data":"\u0000\"\\"}"#,
            push: .pub(channel: "news", epoch: "e", publication: Publication(offset: UInt64.max, data: RawJSON(unchecked: #""\u0000\"\\""#)))
        ),
        PushGolden(
            text: #"{"push":"join","channel":"chat:lobby","info":{"client":"c-9f","user":"alice","data":{"name":"Alice"}}}"#,
            push: .join(channel: "chat:lobby", info: ClientInfo(client: "c-9f", user: "alice", data: RawJSON(unchecked: #"{"name":"Alice"}"#)))
        ),
        PushGolden(
            text: #"{"push":"leave","channel":"chat:lobby","info":{"client":"c-9f","user":"alice"}}"#,
            push: .leave(channel: "chat:lobby", info: alice)
        ),
        PushGolden(
            text: #"{"push":"gap","channel":"chat:lobby","from":46,"to":50}"#,
            push: .gap(channel: "chat:lobby", missing: OffsetRange(from: 46, to: 50))
        ),
        PushGolden(
            text: #"{"push":"disconnect","code":3001,"reason":"shutdown","reconnect":true,"delay":5000}"#,
            push: .disconnect(.shutdown, delayMs: 5000)
        ),
        PushGolden(
            text: #"{"push":"disconnect","code":3500,"reason":"unauthorized","reconnect":false}"#,
            push: .disconnect(code: 3500, reason: "unauthorized", reconnect: false, delayMs: nil)
        ),
        PushGolden(text: #"{"push":"ping"}"#, push: .ping),
    ]

    @Test(arguments: Self.pushes)
    func pushGoldens(_ golden: PushGolden) throws {
        #expect(golden.push.encoded() == golden.text)
        #expect(golden.push.frame() == golden.text)
        #expect(ServerMessage.push(golden.push).encoded() == golden.text)
        #expect(try ServerMessage.decode(golden.text) == .push(golden.push))
        #expect(try ServerMessage.decode(Array(golden.text.utf8)) == .push(golden.push))
    }

    @Test func pubInfoNeverCarriesPresenceData() throws {
        let withData = ClientInfo(client: "c", user: "u", data: RawJSON(unchecked: "{}"))
        let push = Push.pub(channel: "a", epoch: "e", publication: Publication(offset: 1, data: .null, info: withData))
        #expect(push.encoded() == #"{"push":"pub","channel":"a","offset":1,"epoch":"e","data":null,"info":{"client":"c","user":"u"}}"#)
        let sent = #"{"push":"pub","channel":"a","offset":1,"epoch":"e","data":null,"info":{"client":"c","user":"u","data":{}}}"#
        let expected = Push.pub(channel: "a", epoch: "e", publication: Publication(offset: 1, data: .null, info: ClientInfo(client: "c", user: "u")))
        #expect(try ServerMessage.decode(sent) == .push(expected))
    }

    @Test func decodedPubDataIsCanonical() throws {
        let text = #"{ "push" : "pub", "channel": "a", "offset": 1, "epoch": "e", "data": { "t" : "\u0041\/" }, "later": 1 }"#
        let expected = Push.pub(channel: "a", epoch: "e", publication: Publication(offset: 1, data: RawJSON(unchecked: #"{"t":"A/"}"#)))
        #expect(try ServerMessage.decode(text) == .push(expected))
    }

    @Test func unknownPushKindsAreReportedNotRejected() throws {
        #expect(try ServerMessage.decode(#"{"push":"sparkle","x":1}"#) == .push(.unknown(kind: "sparkle")))
    }

    @Test func malformedServerMessagesThrow() {
        let cases: [(String, FrameError.Reason)] = [
            ("[]", .notAnObject),
            (#"{"result":{}}"#, .invalidMessage("neither \"push\" nor \"id\"")),
            (#"{"id":0,"result":{}}"#, .invalidID),
            (#"{"id":1}"#, .invalidMessage("a reply needs exactly one of \"result\" and \"error\"")),
            (#"{"id":1,"result":{},"error":{"code":100}}"#, .invalidMessage("a reply needs exactly one of \"result\" and \"error\"")),
            (#"{"id":1,"result":[]}"#, .invalidMessage("\"result\" must be an object")),
            (#"{"id":1,"error":{"message":"x"}}"#, .invalidMessage("\"code\" is missing")),
            (#"{"push":7}"#, .invalidMessage("\"push\" must be a string")),
            (#"{"push":"pub","channel":"a","offset":1,"epoch":"e"}"#, .invalidMessage("\"data\" is missing")),
            (#"{"push":"pub","channel":"a","offset":-1,"epoch":"e","data":1}"#, .invalidMessage("\"offset\" must be a non-negative integer")),
            (#"{"push":"gap","channel":"a","from":1}"#, .invalidMessage("\"to\" is missing")),
            (#"{"push":"disconnect","code":70000,"reason":"r","reconnect":true}"#, .invalidMessage("\"code\" must be a close code (0 to 65535)")),
            (#"{"push":"join","channel":"a","info":"x"}"#, .invalidMessage("info must be an object")),
            (#"{"push":"ping","push":"ping"}"#, .duplicateKey("push")),
        ]
        for (text, reason) in cases {
            #expect(throws: FrameError(reason), "\(text)") { try ServerMessage.decode(text) }
        }
        #expect(throws: FrameError(.invalidJSON(JSONParseError(.unexpectedEnd, offset: 1)))) { try ServerMessage.decode("{") }
    }

    @Test func typedResultsRejectWrongShapes() throws {
        #expect(throws: JSONShapeError("\"reason\" must be \"trimmed\" or \"epoch\"")) {
            try SubscribeResult(json: JSONValue(parsing: #"{"channel":"a","position":{"offset":1,"epoch":"e"},"recoverable":true,"reason":"lost"}"#))
        }
        #expect(throws: JSONShapeError("\"position\" is missing")) {
            try PublishResult(json: JSONValue(parsing: "{}"))
        }
        #expect(throws: JSONShapeError("\"ping_ms\" must be a non-negative integer")) {
            try ConnectResult(json: JSONValue(parsing: #"{"client":"c","session":"s","resumed":false,"node":"n","version":1,"ping_ms":-1,"session_ttl_ms":1}"#))
        }
    }
}
