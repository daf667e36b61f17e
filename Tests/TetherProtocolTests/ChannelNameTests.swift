import Testing

@testable import TetherProtocol

@Suite struct ChannelNameTests {
    @Test func acceptsTheDocumentedAlphabet() {
        #expect(ChannelName.validate("chat:lobby") == nil)
        #expect(ChannelName.validate("ABCxyz019_-.:@/=") == nil)
        #expect(ChannelName.validate("a") == nil)
        #expect(ChannelName.validate(String(repeating: "a", count: 255)) == nil)
        #expect(ChannelName.isValid("user:alice@example.com/inbox=1"))
    }

    @Test(arguments: [" ", "a b", "a*", "a#b", "é", "a\u{0}", "a\n", "\"", "a,b", "a?b", "a+b", "*"])
    func rejectsOtherCharacters(_ channel: String) throws {
        let error = try #require(ChannelName.validate(channel))
        #expect(error.code == .invalidChannel)
        #expect(error.code.rawValue == 115)
        #expect(!error.temporary)
    }

    @Test func rejectsEmptyAndTooLong() {
        #expect(ChannelName.validate("") == ProtocolError(.invalidChannel, "invalid channel: empty name"))
        #expect(
            ChannelName.validate(String(repeating: "a", count: 256))
                == ProtocolError(.invalidChannel, "invalid channel: longer than 255 bytes")
        )
        #expect(
            ChannelName.validate("ab cd") == ProtocolError(.invalidChannel, "invalid channel: character not allowed at byte 2")
        )
    }

    @Test func namespaceIsThePartBeforeTheFirstColon() {
        #expect(ChannelName.namespace(of: "chat:lobby") == "chat")
        #expect(ChannelName.namespace(of: "chat:lobby:sub") == "chat")
        #expect(ChannelName.namespace(of: "lobby") == "")
        #expect(ChannelName.namespace(of: ":x") == "")
        #expect(ChannelName.namespace(of: "a:") == "a")
    }
}
