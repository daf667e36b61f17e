import Testing

@testable import TetherProtocol

@Suite struct JSONWriterTests {
    @Test func escapesStringsPerRFC8259() {
        let value: JSONValue = .string("q\"b\\s/n\nr\rt\tb\u{08}f\u{0C}c\u{01}\u{1F}d\u{7F}é😀")
        #expect(value.encoded() == #""q\"b\\s/n\nr\rt\tb\bf\fc\u0001\u001fd"# + "\u{7F}é😀\"")
        #expect(JSONValue.string("plain").encoded() == #""plain""#)
        #expect(JSONValue.string("\u{0}").encoded() == #""\u0000""#)
    }

    @Test func escapedTextParsesBack() throws {
        var all = ""
        for scalar in (0..<0x80).compactMap(Unicode.Scalar.init) { all.unicodeScalars.append(scalar) }
        all += "é€😀"
        let text = JSONValue.string(all).encoded()
        #expect(try JSONValue(parsing: text) == .string(all))
        #expect(try RawJSON(validating: text).text == text)
    }

    @Test func insertsCommasAutomatically() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("a")
        writer.beginArray()
        writer.number(1 as Int)
        writer.beginObject()
        writer.endObject()
        writer.beginArray()
        writer.endArray()
        writer.string("x")
        writer.null()
        writer.bool(false)
        writer.raw(RawJSON(unchecked: "[2]"))
        writer.endArray()
        writer.key("b\"")
        writer.number(UInt64.max)
        writer.key("c")
        writer.number(Int64.min)
        writer.endObject()
        #expect(writer.text == #"{"a":[1,{},[],"x",null,false,[2]],"b\"":18446744073709551615,"c":-9223372036854775808}"#)
    }

    @Test func writesNumbers() {
        var writer = JSONWriter()
        writer.beginArray()
        for value: UInt64 in [0, 9, 10, 99, 100, 1_000_000, UInt64.max] { writer.number(value) }
        for value: Int in [0, -1, -10, Int.max] { writer.number(value) }
        writer.endArray()
        let expected = "[0,9,10,99,100,1000000,18446744073709551615,0,-1,-10,9223372036854775807]"
        #expect(writer.text == expected)
        #expect(writer.bytes == Array(expected.utf8))
    }

    @Test func encodedBytesMatchEncodedText() {
        let push = Push.gap(channel: "é", missing: OffsetRange(from: 1, to: 2))
        #expect(push.encodedBytes() == Array(push.encoded().utf8))
    }

    @Test func encodesValuesCompactly() {
        let value: JSONValue = ["a": [1, "b", nil, true], "c": [:], "d": []]
        #expect(value.encoded() == #"{"a":[1,"b",null,true],"c":{},"d":[]}"#)
    }
}
