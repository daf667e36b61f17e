import Testing

@testable import TetherProtocol

/// Every command of docs/protocol.md, section 3: the golden text decodes to the value and the value encodes
/// back to exactly the golden text.
@Suite struct CommandGoldenTests {
    struct Golden: Sendable, CustomTestStringConvertible {
        let text: String
        let command: ClientCommand
        var testDescription: String { self.text }
    }

    static let position = StreamPosition(offset: 41, epoch: "ab12")

    static let goldens: [Golden] = [
        Golden(
            text: #"{"id":1,"op":"connect","token":"eyJhbGciOiJIUzI1NiJ9.e30.c2ln","session":"s-3a","subs":{"chat:lobby":{"since":{"offset":41,"epoch":"ab12"}},"news":{}},"name":"my-app","version":1}"#,
            command: ClientCommand(
                id: 1,
                op: .connect(
                    ConnectRequest(
                        token: "eyJhbGciOiJIUzI1NiJ9.e30.c2ln",
                        session: "s-3a",
                        subs: [SubscribeRequest(channel: "chat:lobby", since: position), SubscribeRequest(channel: "news")],
                        name: "my-app",
                        version: 1
                    )
                )
            )
        ),
        Golden(text: #"{"id":1,"op":"connect"}"#, command: ClientCommand(id: 1, op: .connect(ConnectRequest()))),
        Golden(
            text: #"{"id":2,"op":"subscribe","channel":"chat:lobby","since":{"offset":41,"epoch":"ab12"}}"#,
            command: ClientCommand(id: 2, op: .subscribe(SubscribeRequest(channel: "chat:lobby", since: position)))
        ),
        Golden(
            text: #"{"id":2,"op":"subscribe","channel":"chat:lobby"}"#,
            command: ClientCommand(id: 2, op: .subscribe(SubscribeRequest(channel: "chat:lobby")))
        ),
        Golden(
            text: #"{"id":3,"op":"unsubscribe","channel":"chat:lobby"}"#,
            command: ClientCommand(id: 3, op: .unsubscribe(channel: "chat:lobby"))
        ),
        Golden(
            text: #"{"id":4,"op":"publish","channel":"chat:lobby","data":{"text":"hi"},"key":"k-7c"}"#,
            command: ClientCommand(
                id: 4,
                op: .publish(PublishRequest(channel: "chat:lobby", data: RawJSON(unchecked: #"{"text":"hi"}"#), key: "k-7c"))
            )
        ),
        Golden(
            text: #"{"id":4,"op":"publish","channel":"chat:lobby","data":[1,2.50,"\"x\"\n",null,{"big":123456789012345678901234567890}]}"#,
            command: ClientCommand(
                id: 4,
                op: .publish(
                    PublishRequest(
                        channel: "chat:lobby",
                        data: RawJSON(unchecked: #"[1,2.50,"\"x\"\n",null,{"big":123456789012345678901234567890}]"#)
                    )
                )
            )
        ),
        Golden(
            text: #"{"id":4,"op":"publish","channel":"chat:lobby","data":null}"#,
            command: ClientCommand(id: 4, op: .publish(PublishRequest(channel: "chat:lobby", data: .null)))
        ),
        Golden(
            text: #"{"id":5,"op":"history","channel":"chat:lobby","since":{"offset":41,"epoch":"ab12"},"limit":100}"#,
            command: ClientCommand(id: 5, op: .history(HistoryRequest(channel: "chat:lobby", since: position, limit: 100)))
        ),
        Golden(
            text: #"{"id":5,"op":"history","channel":"chat:lobby"}"#,
            command: ClientCommand(id: 5, op: .history(HistoryRequest(channel: "chat:lobby")))
        ),
        Golden(
            text: #"{"id":6,"op":"presence","channel":"chat:lobby"}"#,
            command: ClientCommand(id: 6, op: .presence(channel: "chat:lobby"))
        ),
        Golden(
            text: #"{"id":7,"op":"presence_stats","channel":"chat:lobby"}"#,
            command: ClientCommand(id: 7, op: .presenceStats(channel: "chat:lobby"))
        ),
        Golden(
            text: #"{"id":8,"op":"refresh","token":"eyJ.new.tok"}"#,
            command: ClientCommand(id: 8, op: .refresh(token: "eyJ.new.tok"))
        ),
        Golden(text: #"{"id":9,"op":"ping"}"#, command: ClientCommand(id: 9, op: .ping)),
        Golden(text: #"{"id":4294967295,"op":"ping"}"#, command: ClientCommand(id: UInt32.max, op: .ping)),
        Golden(
            text: #"{"id":10,"op":"subscribe","channel":"a\"b\\c\u0001é"}"#,
            command: ClientCommand(id: 10, op: .subscribe(SubscribeRequest(channel: "a\"b\\c\u{01}é")))
        ),
    ]

    @Test(arguments: Self.goldens)
    func decodesAndEncodesExactly(_ golden: Golden) {
        #expect(ClientCommand.decode(golden.text) == .command(golden.command))
        #expect(ClientCommand.decode(Array(golden.text.utf8)) == .command(golden.command))
        #expect(golden.command.encoded() == golden.text)
    }

    @Test func decodesWithWhitespaceUnknownKeysAndAnyKeyOrder() {
        let text = """
             { "data" : { "b" : [ 1 , 2 ] , "a" : "\\u0041" } , "future" : {"x": [true]},
              "channel": "c", "op": "publish", "id": 12 }\r\n
            """
        let expected = ClientCommand(
            id: 12,
            op: .publish(PublishRequest(channel: "c", data: RawJSON(unchecked: #"{"b":[1,2],"a":"A"}"#)))
        )
        #expect(ClientCommand.decode(text) == .command(expected))
    }

    @Test func optionalFieldsMayBeNull() {
        let text = #"{"id":1,"op":"connect","token":null,"session":null,"subs":null,"name":null,"version":null}"#
        #expect(ClientCommand.decode(text) == .command(ClientCommand(id: 1, op: .connect(ConnectRequest()))))
        let subscribe = #"{"id":2,"op":"subscribe","channel":"a","since":null}"#
        #expect(ClientCommand.decode(subscribe) == .command(ClientCommand(id: 2, op: .subscribe(SubscribeRequest(channel: "a")))))
    }

    @Test func operationNamesAndChannels() {
        #expect(ClientCommand.Operation.presenceStats(channel: "x").name == "presence_stats")
        #expect(ClientCommand.Operation.presenceStats(channel: "x").channel == "x")
        #expect(ClientCommand.Operation.ping.channel == nil)
        #expect(ClientCommand.Operation.history(HistoryRequest(channel: "h")).channel == "h")
    }

    @Test func requestBodiesRoundTripThroughJSONValue() throws {
        let publish = PublishRequest(channel: "c", data: RawJSON(unchecked: #"{"a":[1,"\n"]}"#), key: "k")
        #expect(publish.encoded() == #"{"channel":"c","data":{"a":[1,"\n"]},"key":"k"}"#)
        #expect(try PublishRequest(json: JSONValue(parsing: publish.encoded())) == publish)
        let history = HistoryRequest(channel: "c", since: Self.position, limit: 0)
        #expect(try HistoryRequest(json: JSONValue(parsing: history.encoded())) == history)
        let subscribe = SubscribeRequest(channel: "c", since: Self.position)
        #expect(try SubscribeRequest(json: JSONValue(parsing: subscribe.encoded())) == subscribe)
        let connect = ConnectRequest(token: "t", subs: [SubscribeRequest(channel: "b"), SubscribeRequest(channel: "a")])
        #expect(try ConnectRequest(json: JSONValue(parsing: connect.encoded())) == connect)
        #expect(throws: JSONShapeError.self) {
            try PublishRequest(json: JSONValue(parsing: #"{"channel":"c","data":1,"key":""}"#))
        }
    }

    @Test func idempotencyKeyRules() {
        #expect(PublishRequest.isValidKey("k"))
        #expect(PublishRequest.isValidKey(String(repeating: "x", count: 64)))
        #expect(PublishRequest.isValidKey(" ~!"))
        #expect(!PublishRequest.isValidKey(""))
        #expect(!PublishRequest.isValidKey(String(repeating: "x", count: 65)))
        #expect(!PublishRequest.isValidKey("tab\t"))
        #expect(!PublishRequest.isValidKey("é"))
        #expect(!PublishRequest.isValidKey("\u{7F}"))
    }
}
