import Testing

@testable import TetherProtocol

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONValue(parsing: #" {"a": [1, -2.5e+3, true, false, null], "b": {"c": "d"}, "e": ""} "#)
        #expect(
            value
                == .object([
                    "a": .array([1, .number(JSONNumber(text: "-2.5e+3")!), true, false, nil]),
                    "b": ["c": "d"],
                    "e": "",
                ])
        )
        #expect(value["b"]?["c"]?.stringValue == "d")
        #expect(value["missing"] == nil)
    }

    @Test func keepsMemberOrderAndDuplicates() throws {
        let value = try JSONValue(parsing: #"{"z":1,"a":2,"z":3}"#)
        let object = try #require(value.objectValue)
        #expect(object.members.map(\.key) == ["z", "a", "z"])
        #expect(object["z"] == 3)
    }

    @Test func numbersKeepTheirDigits() throws {
        let big = try JSONValue(parsing: "18446744073709551615")
        #expect(big.uint64Value == UInt64.max)
        let bigger = try JSONValue(parsing: "123456789012345678901234567890")
        #expect(bigger.numberValue?.text == "123456789012345678901234567890")
        #expect(bigger.uint64Value == nil)
        #expect(bigger.doubleValue == 1.2345678901234568e29)
        #expect(RawJSON(bigger).text == "123456789012345678901234567890")
        #expect(try JSONValue(parsing: "1e999").doubleValue == nil)
        #expect(try JSONValue(parsing: "1.0").uint64Value == nil)
        #expect(try JSONValue(parsing: "1e2").intValue == nil)
        #expect(try JSONValue(parsing: "-7").intValue == -7)
        #expect(try JSONValue(parsing: "-7").uint64Value == nil)
        #expect(try JSONValue(parsing: "-0").intValue == 0)
        #expect(try JSONValue(parsing: "0.5").doubleValue == 0.5)
    }

    @Test func numberLiteralValidation() {
        for valid in ["0", "-0", "1", "10", "1.5", "-1.5e10", "1E+2", "1e-2", "0.0"] {
            #expect(JSONNumber(text: valid) != nil, "\(valid)")
        }
        for invalid in ["", "-", "01", "1.", ".5", "1e", "+1", "1e+", "0x10", "1 ", "NaN", "Infinity"] {
            #expect(JSONNumber(text: invalid) == nil, "\(invalid)")
        }
        #expect(JSONNumber(3.0)?.text == "3")
        #expect(JSONNumber(0.25)?.text == "0.25")
        #expect(JSONNumber(Double.nan) == nil)
        #expect(JSONNumber(Double.infinity) == nil)
    }

    @Test func decodesEscapes() throws {
        let value = try JSONValue(parsing: #""a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00\u0000""#)
        #expect(value == .string("a\"b\\c/d\u{08}\u{0C}\n\r\tAé€😀\u{0}"))
        let utf8 = try JSONValue(parsing: "\"é€😀\"")
        #expect(utf8 == .string("é€😀"))
    }

    @Test func canonicalCaptureRemovesWhitespaceAndNormalisesEscapes() throws {
        let raw = try RawJSON(validating: " { \"a\" : [ 1 , 2.50 ] ,\n \"b\\u0041\" : \"x\\u0041\\/\\ud83d\\ude00\\u001F\" } ")
        #expect(raw.text == #"{"a":[1,2.50],"bA":"xA/😀\u001f"}"#)
        let compact = #"{"text":"hi \"you\"\n","n":[1e5,-0,{}],"u":"é"}"#
        #expect(try RawJSON(validating: compact).text == compact)
        #expect(try RawJSON(validating: Array(compact.utf8)).text == compact)
        // The JSONValue path and the capture path agree.
        #expect(RawJSON(try raw.parsed()) == raw)
    }

    @Test func rejectsMalformedInput() {
        let cases: [(String, JSONParseError.Kind, Int)] = [
            ("", .unexpectedEnd, 0),
            ("   ", .unexpectedEnd, 3),
            ("{", .unexpectedEnd, 1),
            (#"{"a":1"#, .unexpectedEnd, 6),
            (#"{"a":1,}"#, .unexpectedByte(UInt8(ascii: "}")), 7),
            ("[1,]", .unexpectedByte(UInt8(ascii: "]")), 3),
            ("[1 2]", .unexpectedByte(UInt8(ascii: "2")), 3),
            ("{'a':1}", .unexpectedByte(UInt8(ascii: "'")), 1),
            ("{\"a\" 1}", .unexpectedByte(UInt8(ascii: "1")), 5),
            ("01", .leadingZero, 0),
            ("-01", .leadingZero, 0),
            ("1.", .unexpectedEnd, 2),
            ("1.x", .invalidNumber, 2),
            ("-", .unexpectedEnd, 1),
            ("-a", .invalidNumber, 1),
            ("1e", .unexpectedEnd, 2),
            ("tru", .unexpectedEnd, 3),
            ("nul1", .unexpectedByte(UInt8(ascii: "1")), 3),
            ("1 2", .trailingData, 2),
            ("{} x", .trailingData, 3),
            ("\"abc", .unexpectedEnd, 4),
            ("\"a\tb\"", .controlCharacter, 2),
            (#""\x""#, .invalidEscape, 1),
            (#""\u12G4""#, .invalidEscape, 5),
            (#""\u12""#, .invalidEscape, 5),
            (#""\ud800""#, .loneSurrogate, 1),
            (#""\ud800x""#, .loneSurrogate, 1),
            (#""\ud800\u0041""#, .loneSurrogate, 1),
            (#""\udc00""#, .loneSurrogate, 1),
            (#""\ud800\n""#, .loneSurrogate, 1),
            ("\u{FEFF}{}", .unexpectedByte(0xEF), 0),
            ("NaN", .unexpectedByte(UInt8(ascii: "N")), 0),
        ]
        for (input, kind, offset) in cases {
            #expect(throws: JSONParseError(kind, offset: offset), "\(input)") { try JSONValue(parsing: input) }
            #expect(throws: JSONParseError(kind, offset: offset), "\(input)") { try RawJSON(validating: input) }
        }
    }

    @Test func rejectsInvalidUTF8() {
        let cases: [([UInt8], Int)] = [
            ([0x22, 0xFF, 0x22], 1),  // never valid
            ([0x22, 0xC0, 0xAF, 0x22], 1),  // overlong '/'
            ([0x22, 0xE0, 0x80, 0xAF, 0x22], 1),  // overlong
            ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),  // encoded surrogate U+D800
            ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),  // above U+10FFFF
            ([0x22, 0x61, 0x80, 0x22], 2),  // lone continuation byte
            ([0x22, 0xC3, 0x28, 0x22], 1),  // missing continuation (reported at the sequence start)
        ]
        for (bytes, offset) in cases {
            #expect(throws: JSONParseError(.invalidUTF8, offset: offset), "\(bytes)") { try JSONValue.parse(bytes) }
        }
        #expect(throws: JSONParseError(.unexpectedEnd, offset: 3)) { try JSONValue.parse([0x22, 0xE2, 0x82]) }
        #expect(throws: JSONParseError(.unexpectedByte(0xC3), offset: 0)) { try JSONValue.parse([0xC3, 0xA9]) }
    }

    @Test func boundsNestingDepth() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try JSONValue(parsing: ok)
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONParseError(.tooDeep(limit: 64), offset: 64)) { try JSONValue(parsing: tooDeep) }
        let thousand = String(repeating: "{\"a\":", count: 1000) + "1" + String(repeating: "}", count: 1000)
        #expect(throws: JSONParseError(.tooDeep(limit: 64), offset: 64 * 5)) { try JSONValue(parsing: thousand) }
        #expect(throws: JSONParseError(.tooDeep(limit: 3), offset: 3)) {
            try RawJSON(validating: "[[[[]]]]", limits: JSONLimits(maxBytes: 100, maxDepth: 3))
        }
    }

    @Test func boundsInputSize() throws {
        let limits = JSONLimits(maxBytes: 8)
        _ = try JSONValue(parsing: "[1,2,3] ", limits: limits)
        #expect(throws: JSONParseError(.tooLarge(limit: 8), offset: 8)) {
            try JSONValue(parsing: "[1,2,3,4]", limits: limits)
        }
        // Non-contiguous collections are checked before they are copied.
        let lazy = (0..<100).lazy.map { _ in UInt8(ascii: " ") }
        #expect(throws: JSONParseError(.tooLarge(limit: 8), offset: 8)) { try JSONValue.parse(lazy, limits: limits) }
        #expect(try JSONValue.parse("[1]".utf8.lazy.map { $0 }) == [1])
    }
}
