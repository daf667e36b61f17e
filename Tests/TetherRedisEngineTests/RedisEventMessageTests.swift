import Testing
import TetherCore
import TetherProtocol
@testable import TetherRedisEngine

/// The compact messages on the events channels and in the streams (pure).
@Suite struct RedisEventMessageTests {
    @Test func publicationsRoundTripWithAndWithoutInfo() {
        let info = ClientInfo(client: "c 1", user: "ü", data: RawJSON(unchecked: #"{"x":[1,2]}"#))
        for info in [nil, info] {
            let data = RawJSON(unchecked: #"{"text":"a b\nc","n":7}"#)
            let message = "pE9x 42 " + RedisEventMessage.payload(data: data, info: info)
            #expect(RedisEventMessage(Array(message.utf8)) == .publication(epoch: "E9x", Publication(offset: 42, data: data, info: info)))
        }
    }

    @Test func presenceAndControlRoundTrip() {
        let info = ClientInfo(client: "c", user: "u")
        #expect(RedisEventMessage(Array(RedisEventMessage.presence(.join(info)).utf8)) == .presence(.join(info)))
        #expect(RedisEventMessage(Array(RedisEventMessage.presence(.leave(info)).utf8)) == .presence(.leave(info)))
        let control = RawJSON(unchecked: #"{"op":"disconnect","user":"u"}"#)
        #expect(RedisEventMessage(Array(RedisEventMessage.control(control).utf8)) == .control(control))
    }

    @Test(arguments: [
        "", "x", "p", "pE", "pE ", "pE 1", "pE 1 ", "pE x 0 {}", "pE 1 5 {}", "pE 1 0 ", "pE 99999999999999999999 0 {}",
        "pE 1 3 abc{}", "j", "j{", "j[]", "l{\"client\":1}", "c", "c{", "q{}",
    ])
    func malformedMessagesAreRejected(_ text: String) {
        #expect(RedisEventMessage(Array(text.utf8)) == nil)
    }

    @Test func keysRoundTripTheChannelOfAnEventsChannel() {
        let keys = RedisKeys(prefix: "app")
        for channel in ["a", "room:1", "we{ird}", ""] {
            #expect(keys.channel(fromEvents: keys.events(channel)) == channel)
        }
        #expect(keys.channel(fromEvents: "other:{a}:events") == nil)
        #expect(keys.channel(fromEvents: keys.control) == nil)
    }

    @Test func prefixesAreValidated() {
        #expect(RedisEngineConfiguration.isValidPrefix("tether"))
        #expect(RedisEngineConfiguration.isValidPrefix("prod:eu-1.app_2"))
        #expect(!RedisEngineConfiguration.isValidPrefix(""))
        #expect(!RedisEngineConfiguration.isValidPrefix("a{b}"))
        #expect(!RedisEngineConfiguration.isValidPrefix("a b"))
        #expect(!RedisEngineConfiguration.isValidPrefix(String(repeating: "a", count: 65)))
    }
}
