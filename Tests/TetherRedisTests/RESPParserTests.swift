import NIOCore
import Testing

@testable import TetherRedis

@Suite struct RESPParserTests {
    static func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
    static func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    /// Every RESP2 and RESP3 type, with the value it must parse to.
    static let samples: [(String, RESPValue)] = [
        ("+OK\r\n", .simpleString(bytes("OK"))),
        ("+\r\n", .simpleString(bytes(""))),
        ("-ERR unknown command\r\n", .simpleError(bytes("ERR unknown command"))),
        (":0\r\n", .integer(0)),
        (":-42\r\n", .integer(-42)),
        (":+7\r\n", .integer(7)),
        (":9223372036854775807\r\n", .integer(.max)),
        (":-9223372036854775808\r\n", .integer(.min)),
        ("$5\r\nhello\r\n", .bulkString(bytes("hello"))),
        ("$0\r\n\r\n", .bulkString(bytes(""))),
        ("$4\r\na\r\nb\r\n", .bulkString(bytes("a\r\nb"))),
        ("$-1\r\n", .null),
        ("*-1\r\n", .null),
        ("*0\r\n", .array([])),
        ("*3\r\n:1\r\n$1\r\nx\r\n*1\r\n+y\r\n", .array([.integer(1), .bulkString(bytes("x")), .array([.simpleString(bytes("y"))])])),
        ("*2\r\n$-1\r\n*-1\r\n", .array([.null, .null])),
        ("_\r\n", .null),
        (",3.25\r\n", .double(3.25)),
        (",-1e3\r\n", .double(-1000)),
        (",inf\r\n", .double(.infinity)),
        (",-inf\r\n", .double(-.infinity)),
        ("#t\r\n", .boolean(true)),
        ("#f\r\n", .boolean(false)),
        ("(3492890328409238509324850943850943825024385\r\n", .bigNumber("3492890328409238509324850943850943825024385")),
        ("(-12\r\n", .bigNumber("-12")),
        ("!21\r\nSYNTAX invalid syntax\r\n", .bulkError(bytes("SYNTAX invalid syntax"))),
        ("=15\r\ntxt:Some string\r\n", .verbatimString(format: "txt", bytes("Some string"))),
        ("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
         .map([.simpleString(bytes("first")), .integer(1), .simpleString(bytes("second")), .integer(2)])),
        ("%0\r\n", .map([])),
        ("~3\r\n+a\r\n:1\r\n#f\r\n", .set([.simpleString(bytes("a")), .integer(1), .boolean(false)])),
        (">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nhey\r\n",
         .push([.bulkString(bytes("message")), .bulkString(bytes("ch")), .bulkString(bytes("hey"))])),
        // Attributes are parsed and dropped, at top level and inside aggregates.
        ("|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.19\r\n$1\r\nb\r\n,0.05\r\n*2\r\n:2039123\r\n:9543892\r\n",
         .array([.integer(2039123), .integer(9543892)])),
        ("*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n", .array([.integer(1), .integer(2)])),
        ("|0\r\n+x\r\n", .simpleString(bytes("x"))),
        // Streamed strings and aggregates.
        ("$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n", .bulkString(bytes("Hello word"))),
        ("$?\r\n;0\r\n", .bulkString(bytes(""))),
        ("*?\r\n:1\r\n:2\r\n.\r\n", .array([.integer(1), .integer(2)])),
        ("~?\r\n.\r\n", .set([])),
        ("%?\r\n+a\r\n:1\r\n.\r\n", .map([.simpleString(bytes("a")), .integer(1)])),
        ("*2\r\n*?\r\n*?\r\n.\r\n.\r\n$?\r\n;1\r\nz\r\n;0\r\n", .array([.array([.array([])]), .bulkString(bytes("z"))])),
    ]

    private static func parseAll(_ text: String, limits: RESPParser.Limits = RESPParser.Limits()) throws -> [RESPValue] {
        var parser = RESPParser(limits: limits)
        var input = buffer(text)
        var values: [RESPValue] = []
        while let value = try parser.next(from: &input) { values.append(value) }
        #expect(input.readableBytes == 0, "left unparsed: \(input.readableBytes) bytes")
        return values
    }

    @Test(arguments: 0..<samples.count)
    func parsesEveryType(_ index: Int) throws {
        let (text, expected) = Self.samples[index]
        #expect(try Self.parseAll(text) == [expected])
    }

    @Test func parsesNaN() throws {
        let values = try Self.parseAll(",nan\r\n")
        guard case .double(let d)? = values.first else {
            Issue.record("not a double")
            return
        }
        #expect(d.isNaN)
    }

    /// The whole sample stream, split into two at every byte, parses to the same values.
    @Test func everySplitOfTheStream() throws {
        let text = Self.samples.map(\.0).joined()
        let expected = Self.samples.map(\.1)
        let all = Array(text.utf8)
        for split in 0...all.count {
            var parser = RESPParser()
            var input = ByteBuffer(bytes: all[..<split])
            var values: [RESPValue] = []
            while let value = try parser.next(from: &input) { values.append(value) }
            input.discardReadBytes()
            input.writeBytes(all[split...])
            while let value = try parser.next(from: &input) { values.append(value) }
            #expect(values == expected, "split at \(split)")
            #expect(input.readableBytes == 0)
        }
    }

    /// One byte at a time, as a slow socket would deliver it.
    @Test func byteAtATime() throws {
        let text = Self.samples.map(\.0).joined()
        var parser = RESPParser()
        var input = ByteBuffer()
        var values: [RESPValue] = []
        for byte in text.utf8 {
            input.writeInteger(byte)
            while let value = try parser.next(from: &input) { values.append(value) }
        }
        #expect(values == Self.samples.map(\.1))
    }

    /// A prefix of a value is not an error: the parser waits for more.
    @Test func incompleteInputReturnsNil() throws {
        for text in ["+OK", "+OK\r", "$5\r\nhel", "$5\r\nhello\r", "*2\r\n:1\r\n", "%1\r\n+a\r\n", "$?\r\n;3\r\nab", "|1\r\n+a\r\n:1\r\n", ":12"] {
            var parser = RESPParser()
            var input = Self.buffer(text)
            #expect(try parser.next(from: &input) == nil, "\(text.debugDescription)")
        }
    }

    static let malformed: [String] = [
        "?\r\n", "x\r\n", "\0\r\n",
        ":\r\n", ":abc\r\n", ":1.5\r\n", ":-\r\n", ":9223372036854775808\r\n", ":-9223372036854775809\r\n",
        ":99999999999999999999999\r\n", ": 1\r\n",
        "$-2\r\n", "$abc\r\n", "$\r\n", "$3\r\nabcd\r\n", "$3\r\nabcXY", "!-1\r\n", "=3\r\ntxt\r\n", "=5\r\nabcde\r\n",
        "*-2\r\n", "*x\r\n", "%-1\r\n", "~-1\r\n", ">-1\r\n", "|-1\r\n",
        "_x\r\n", "#x\r\n", "#tt\r\n", "#\r\n", ",\r\n", ",abc\r\n", ",1.0x\r\n", "(\r\n", "(12a\r\n", "(-\r\n",
        "+OK\rX", "+a\rb\r\n",
        ".\r\n", ";3\r\nabc\r\n", "$?\r\n+x\r\n", "$?\r\n;-1\r\n", "$?\r\n;2\r\nabX\r\n", "%?\r\n+a\r\n.\r\n",
        "*1\r\n.\r\n",
    ]

    @Test(arguments: malformed)
    func malformedInputThrows(_ text: String) {
        var parser = RESPParser()
        var input = Self.buffer(text)
        #expect(throws: RedisError.self) {
            while try parser.next(from: &input) != nil {}
        }
    }

    @Test func limitsAreEnforcedBeforeAllocating() throws {
        let limits = RESPParser.Limits(maxBulkLength: 1024, maxAggregateCount: 100, maxDepth: 4, maxLineLength: 64)
        func expectProtocolError(_ text: String, _ comment: Comment) {
            var parser = RESPParser(limits: limits)
            var input = Self.buffer(text)
            do {
                while try parser.next(from: &input) != nil {}
                Issue.record("no error: \(comment)")
            } catch {
                guard case .protocolError = error else {
                    Issue.record("wrong error \(error): \(comment)")
                    return
                }
            }
        }
        expectProtocolError("$1025\r\n", "bulk length over the limit, with no payload sent")
        expectProtocolError("$9223372036854775807\r\n", "huge bulk length")
        expectProtocolError("!2000\r\n", "bulk error over the limit")
        expectProtocolError("=2000\r\n", "verbatim over the limit")
        expectProtocolError("*101\r\n", "array count over the limit")
        expectProtocolError("%51\r\n", "map pairs over the limit (counted twice)")
        expectProtocolError("~9223372036854775807\r\n", "huge set count")
        expectProtocolError("|51\r\n", "attribute over the limit")
        expectProtocolError(String(repeating: "*1\r\n", count: 5) + ":1\r\n", "nesting deeper than 4")
        expectProtocolError(String(repeating: "*?\r\n", count: 5), "streamed nesting deeper than 4")
        expectProtocolError("+" + String(repeating: "a", count: 100), "line without CRLF longer than the limit")
        expectProtocolError("+" + String(repeating: "a", count: 65) + "\r\n", "complete line longer than the limit")
        expectProtocolError("*?\r\n" + String(repeating: ":1\r\n", count: 101), "streamed aggregate over the limit")
        expectProtocolError("$?\r\n" + String(repeating: ";1000\r\n" + String(repeating: "x", count: 1000) + "\r\n", count: 2), "streamed string over the limit")

        // Within the limits the same shapes parse.
        var parser = RESPParser(limits: limits)
        var input = Self.buffer(String(repeating: "*1\r\n", count: 4) + ":1\r\n" + "$1024\r\n" + String(repeating: "x", count: 1024) + "\r\n")
        #expect(try parser.next(from: &input) == .array([.array([.array([.array([.integer(1)])])])]))
        #expect(try parser.next(from: &input)?.buffer?.readableBytes == 1024)
    }

    /// Random bytes and mutated valid input: every outcome is a value, "need more" or a protocol error;
    /// nothing traps. (scripts/fuzz-resp does this at scale with libFuzzer.)
    @Test func randomInputNeverTraps() {
        var rng = SplitMix64(seed: 0x5EED)
        let valid = Array(Self.samples.map(\.0).joined().utf8)
        let alphabet = Array("+-:$*_,#(!=%~>|;.?\r\n0123456789-tfinax".utf8)
        let limits = RESPParser.Limits(maxBulkLength: 4096, maxAggregateCount: 256, maxDepth: 8, maxLineLength: 256)
        var errors = 0
        for round in 0..<3000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int(rng.next() % 64)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            } else {
                bytes = valid
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    let at = Int(rng.next() % UInt64(bytes.count))
                    bytes[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                }
            }
            var parser = RESPParser(limits: limits)
            var input = ByteBuffer(bytes: bytes)
            do {
                while try parser.next(from: &input) != nil {}
            } catch {
                errors += 1
            }
        }
        #expect(errors > 0)
    }
}

/// A small deterministic PRNG for reproducible random tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
