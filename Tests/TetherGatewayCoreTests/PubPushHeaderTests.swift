import Testing
import TetherGatewayCore
import TetherProtocol

@Suite("PubPushHeader: the node's pub head, read without decoding")
struct PubPushHeaderTests {
    private func parse(_ text: String) -> PubPushHeader? {
        Array(text.utf8).withUnsafeBytes { PubPushHeader.parse($0) }
    }

    @Test("what the node writes is read; the fields match the full decoder's")
    func nodeForm() throws {
        let push = Push.pub(channel: "chat:lobby", epoch: "ab12", publication: Publication(offset: 42, data: RawJSON(unchecked: #"{"x":"y\n"}"#)))
        let header = try #require(parse(push.frame()))
        #expect(header == PubPushHeader(channel: "chat:lobby", offset: 42, epoch: "ab12"))
    }

    @Test("anything else is left to the full decoder")
    func otherForms() {
        #expect(parse(#"{"push":"join","channel":"c","info":{}}"#) == nil)
        #expect(parse(#"{"push":"pub","offset":1,"channel":"c","epoch":"e","data":1}"#) == nil)  // other key order
        #expect(parse(#"{"push":"pub","channel":"c\"d","offset":1,"epoch":"e","data":1}"#) == nil)  // escape
        #expect(parse(#"{"push":"pub","channel":"c","offset":01,"epoch":"e","data":1}"#) == nil)  // leading zero
        #expect(parse(#"{"push":"pub","channel":"c","offset":99999999999999999999,"epoch":"e","data":1}"#) == nil)
        #expect(parse(#"{"push":"pub","channel":"","offset":1,"epoch":"e","data":1}"#) == nil)
        #expect(parse(#"{"push":"pub","channel":"c","offset":1,"epoch":"e""#) == nil)  // cut short
        #expect(parse(#"{"id":3,"result":{}}"#) == nil)
    }
}
