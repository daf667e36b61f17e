import Testing

@testable import TetherProtocol

/// Malformed commands, each mapped to its documented outcome (docs/protocol.md, section 5): unanswerable
/// frames close with 3501 (1009 when too large), well-formed envelopes with bad fields get 107, unknown ops 104.
@Suite struct CommandMalformedTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let expected: CommandDecoding
        var testDescription: String { self.name }

        init(_ name: String, _ text: String, _ expected: CommandDecoding) {
            self.name = name
            self.bytes = Array(text.utf8)
            self.expected = expected
        }

        init(_ name: String, bytes: [UInt8], _ expected: CommandDecoding) {
            self.name = name
            self.bytes = bytes
            self.expected = expected
        }
    }

    static func json(_ kind: JSONParseError.Kind, _ offset: Int) -> CommandDecoding {
        .frameError(FrameError(.invalidJSON(JSONParseError(kind, offset: offset))))
    }

    static func frame(_ reason: FrameError.Reason) -> CommandDecoding { .frameError(FrameError(reason)) }

    static func bad(_ id: UInt32, _ message: String) -> CommandDecoding {
        .invalid(id: id, ProtocolError(.badRequest, message))
    }

    static let deepData =
        #"{"id":1,"op":"publish","channel":"a","data":"# + String(repeating: "[", count: 1000)
        + String(repeating: "]", count: 1000) + "}"

    static let cases: [Case] = [
        // Not JSON at all.
        Case("empty", "", json(.unexpectedEnd, 0)),
        Case("truncated object", #"{"id":1,"op":"ping""#, json(.unexpectedEnd, 19)),
        Case("truncated string", #"{"id":1,"op":"pi"#, json(.unexpectedEnd, 16)),
        Case("truncated data", #"{"id":1,"op":"publish","channel":"a","data":{"x":[1,"#, json(.unexpectedEnd, 52)),
        Case("invalid UTF-8", bytes: Array(#"{"id":1,"op":"ping","x":""#.utf8) + [0xFF, 0x22, 0x7D], json(.invalidUTF8, 25)),
        Case("encoded surrogate", bytes: Array(#"{"id":1,"op":""#.utf8) + [0xED, 0xA0, 0x80, 0x22, 0x7D], json(.invalidUTF8, 14)),
        Case("lone surrogate escape", #"{"id":1,"op":"publish","channel":"a","data":"\udc00"}"#, json(.loneSurrogate, 45)),
        Case("deep nesting 1000", deepData, json(.tooDeep(limit: 64), 107)),
        Case("trailing garbage", #"{"id":1,"op":"ping"}x"#, json(.trailingData, 20)),
        Case("two objects", #"{"id":1,"op":"ping"} {"id":2,"op":"ping"}"#, json(.trailingData, 21)),
        Case("leading zero id", #"{"id":01,"op":"ping"}"#, json(.leadingZero, 6)),
        Case("trailing comma", #"{"id":1,"op":"ping",}"#, json(.unexpectedByte(UInt8(ascii: "}")), 20)),
        Case("single quotes", "{'id':1}", json(.unexpectedByte(UInt8(ascii: "'")), 1)),
        Case("raw newline in string", "{\"id\":1,\"op\":\"pi\nng\"}", json(.controlCharacter, 16)),
        Case("byte-order mark", "\u{FEFF}{\"id\":1,\"op\":\"ping\"}", json(.unexpectedByte(0xEF), 0)),
        Case("binary junk", bytes: [0x00, 0xFF, 0x13, 0x37, 0x80, 0x7B], json(.unexpectedByte(0x00), 0)),
        Case("NaN data", #"{"id":1,"op":"publish","channel":"a","data":NaN}"#, json(.unexpectedByte(UInt8(ascii: "N")), 44)),
        // JSON, but not a command envelope.
        Case("array", "[1,2]", frame(.notAnObject)),
        Case("string", #""ping""#, frame(.notAnObject)),
        Case("number", "42", frame(.notAnObject)),
        Case("null", "null", frame(.notAnObject)),
        Case("empty object", "{}", frame(.invalidID)),
        Case("id missing", #"{"op":"ping"}"#, frame(.invalidID)),
        Case("id 0", #"{"id":0,"op":"ping"}"#, frame(.invalidID)),
        Case("id negative", #"{"id":-1,"op":"ping"}"#, frame(.invalidID)),
        Case("id 2^32", #"{"id":4294967296,"op":"ping"}"#, frame(.invalidID)),
        Case("id huge", #"{"id":123456789012345678901234567890,"op":"ping"}"#, frame(.invalidID)),
        Case("id string", #"{"id":"1","op":"ping"}"#, frame(.invalidID)),
        Case("id fraction", #"{"id":1.0,"op":"ping"}"#, frame(.invalidID)),
        Case("id exponent", #"{"id":1e0,"op":"ping"}"#, frame(.invalidID)),
        Case("id null", #"{"id":null,"op":"ping"}"#, frame(.invalidID)),
        Case("id twice", #"{"id":1,"id":2,"op":"ping"}"#, frame(.duplicateKey("id"))),
        Case("op missing", #"{"id":1}"#, frame(.invalidOp)),
        Case("op number", #"{"id":1,"op":5}"#, frame(.invalidOp)),
        Case("op null", #"{"id":1,"op":null}"#, frame(.invalidOp)),
        // Answerable: unknown op, bad fields.
        Case("unknown op", #"{"id":7,"op":"frobnicate"}"#, .invalid(id: 7, ProtocolError(.unknownOp, "unknown op \"frobnicate\""))),
        Case("op twice", #"{"id":7,"op":"ping","op":"ping"}"#, bad(7, "duplicate key \"op\"")),
        Case("data twice", #"{"id":7,"op":"publish","channel":"a","data":1,"data":2}"#, bad(7, "duplicate key \"data\"")),
        Case("channel missing", #"{"id":2,"op":"subscribe"}"#, bad(2, "\"channel\" is missing")),
        Case("channel number", #"{"id":2,"op":"subscribe","channel":5}"#, bad(2, "\"channel\" must be a string")),
        Case("since string", #"{"id":2,"op":"subscribe","channel":"a","since":"41"}"#, bad(2, "position must be an object")),
        Case("since negative", #"{"id":2,"op":"subscribe","channel":"a","since":{"offset":-1,"epoch":"e"}}"#, bad(2, "\"offset\" must be a non-negative integer")),
        Case("since huge", #"{"id":2,"op":"subscribe","channel":"a","since":{"offset":18446744073709551616,"epoch":"e"}}"#, bad(2, "\"offset\" must be a non-negative integer")),
        Case("since no epoch", #"{"id":2,"op":"subscribe","channel":"a","since":{"offset":1}}"#, bad(2, "\"epoch\" is missing")),
        Case("unsubscribe no channel", #"{"id":3,"op":"unsubscribe"}"#, bad(3, "\"channel\" is missing")),
        Case("publish no data", #"{"id":4,"op":"publish","channel":"a"}"#, bad(4, "\"data\" is missing")),
        Case("publish empty key", #"{"id":4,"op":"publish","channel":"a","data":1,"key":""}"#, bad(4, "\"key\" must be 1 to 64 printable ASCII characters")),
        Case("publish long key", #"{"id":4,"op":"publish","channel":"a","data":1,"key":""# + String(repeating: "k", count: 65) + #""}"#, bad(4, "\"key\" must be 1 to 64 printable ASCII characters")),
        Case("publish key control", #"{"id":4,"op":"publish","channel":"a","data":1,"key":"a\nb"}"#, bad(4, "\"key\" must be 1 to 64 printable ASCII characters")),
        Case("publish key number", #"{"id":4,"op":"publish","channel":"a","data":1,"key":7}"#, bad(4, "\"key\" must be a string")),
        Case("history limit negative", #"{"id":5,"op":"history","channel":"a","limit":-1}"#, bad(5, "\"limit\" must be a non-negative integer")),
        Case("history limit string", #"{"id":5,"op":"history","channel":"a","limit":"10"}"#, bad(5, "\"limit\" must be a non-negative integer")),
        Case("history limit huge", #"{"id":5,"op":"history","channel":"a","limit":1e999}"#, bad(5, "\"limit\" must be a non-negative integer")),
        Case("presence channel array", #"{"id":6,"op":"presence","channel":["a"]}"#, bad(6, "\"channel\" must be a string")),
        Case("presence_stats no channel", #"{"id":7,"op":"presence_stats"}"#, bad(7, "\"channel\" is missing")),
        Case("refresh no token", #"{"id":8,"op":"refresh"}"#, bad(8, "\"token\" is missing")),
        Case("refresh token number", #"{"id":8,"op":"refresh","token":1}"#, bad(8, "\"token\" must be a string")),
        Case("connect token number", #"{"id":1,"op":"connect","token":1}"#, bad(1, "\"token\" must be a string")),
        Case("connect subs array", #"{"id":1,"op":"connect","subs":["a"]}"#, bad(1, "\"subs\" must be an object")),
        Case("connect subs entry", #"{"id":1,"op":"connect","subs":{"a":true}}"#, bad(1, "\"subs\" entries must be objects")),
        Case("connect subs twice", #"{"id":1,"op":"connect","subs":{"a":{},"a":{}}}"#, bad(1, "\"subs\" names channel \"a\" twice")),
        Case("connect version string", #"{"id":1,"op":"connect","version":"1"}"#, bad(1, "\"version\" must be an integer")),
    ]

    @Test(arguments: Self.cases)
    func mapsToDocumentedOutcome(_ testCase: Case) {
        let outcome = ClientCommand.decode(testCase.bytes)
        #expect(outcome == testCase.expected)
        if case .frameError(let error) = outcome {
            #expect(error.closeCode == .badRequest)
        }
    }

    @Test func oversizedFramesCloseWith1009() {
        let outcome = ClientCommand.decode(#"{"id":1,"op":"ping"}"#, limits: JSONLimits(maxBytes: 10))
        #expect(outcome == Self.json(.tooLarge(limit: 10), 10))
        guard case .frameError(let error) = outcome else { return }
        #expect(error.closeCode == .messageTooBig)
        #expect(error.closeCode.code == 1009)
    }

    @Test func hugeNumbersInsideDataAreKeptVerbatim() {
        let text = #"{"id":1,"op":"publish","channel":"a","data":[1e99999,-123456789012345678901234567890.5e-3]}"#
        let expected = ClientCommand(
            id: 1,
            op: .publish(PublishRequest(channel: "a", data: RawJSON(unchecked: "[1e99999,-123456789012345678901234567890.5e-3]")))
        )
        #expect(ClientCommand.decode(text) == .command(expected))
    }

    @Test func versionIsReportedNotJudged() {
        // Only the node decides that version 2 closes with 3504.
        let outcome = ClientCommand.decode(#"{"id":1,"op":"connect","version":2}"#)
        #expect(outcome == .command(ClientCommand(id: 1, op: .connect(ConnectRequest(version: 2)))))
    }

    @Test func longUnknownOpIsTruncatedInTheMessage() {
        let op = String(repeating: "x", count: 100)
        let outcome = ClientCommand.decode(#"{"id":1,"op":""# + op + #""}"#)
        #expect(outcome == .invalid(id: 1, ProtocolError(.unknownOp, "unknown op \"" + String(repeating: "x", count: 32) + "…\"")))
    }
}
