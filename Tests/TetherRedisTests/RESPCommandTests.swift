import NIOCore
import Testing

@testable import TetherRedis

@Suite struct RESPCommandTests {
    @Test func encodesAsArrayOfBulkStrings() {
        var buffer = ByteBuffer()
        RESPCommand("SET", ["key", .bytes(ByteBuffer(bytes: [0, 13, 10, 255])), .int(-12)]).encode(into: &buffer)
        var expected = ByteBuffer(string: "*4\r\n$3\r\nSET\r\n$3\r\nkey\r\n$4\r\n")
        expected.writeBytes([0, 13, 10, 255])
        expected.writeString("\r\n$3\r\n-12\r\n")
        #expect(buffer == expected)
    }

    @Test func multiWordNamesAreSplit() {
        var buffer = ByteBuffer()
        RESPCommand("SCRIPT LOAD", ["return 1"]).encode(into: &buffer)
        #expect(String(buffer: buffer) == "*3\r\n$6\r\nSCRIPT\r\n$4\r\nLOAD\r\n$8\r\nreturn 1\r\n")
        buffer.clear()
        RESPCommand("PING").encode(into: &buffer)
        #expect(String(buffer: buffer) == "*1\r\n$4\r\nPING\r\n")
    }

    /// What the encoder writes, the parser reads back as the same array of bulk strings.
    @Test func encoderOutputParses() throws {
        var buffer = ByteBuffer()
        RESPCommand("HSET", ["h", "ü€", 42]).encode(into: &buffer)
        var parser = RESPParser()
        let value = try parser.next(from: &buffer)
        #expect(value?.array?.map(\.string) == ["HSET", "h", "ü€", "42"])
    }

    @Test func serverErrorsSplitAtFirstSpace() {
        #expect(RESPValue.simpleError(ByteBuffer(string: "NOSCRIPT No matching script. Please use EVAL.")).serverError
            == .server(code: "NOSCRIPT", message: "No matching script. Please use EVAL."))
        #expect(RESPValue.bulkError(ByteBuffer(string: "WRONGTYPE")).serverError == .server(code: "WRONGTYPE", message: ""))
        #expect(RESPValue.integer(1).serverError == nil)
    }

    @Test func conveniences() {
        #expect(RESPValue.bulkString(ByteBuffer(string: "12")).int == 12)
        #expect(RESPValue.integer(5).string == "5")
        #expect(RESPValue.null.string == nil)
        #expect(RESPValue.map([.integer(1), .integer(2)]).array?.count == 2)
        #expect(RESPValue.verbatimString(format: "txt", ByteBuffer(string: "hi")).string == "hi")
    }
}
