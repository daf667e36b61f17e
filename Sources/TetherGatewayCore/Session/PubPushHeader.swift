/// The head of a `pub` push exactly as a Tether node writes it (`{"push":"pub","channel":"…","offset":N,
/// "epoch":"…","data":…`, docs/protocol.md and `Push.encode(to:)`), read without parsing the rest, so session
/// mode can forward live publications without decoding their data. Anything else, or a head written
/// differently (other key order, escapes in the channel or epoch), is not recognised and the caller falls
/// back to full decoding, which accepts every valid form. Pure.
public struct PubPushHeader: Sendable, Hashable {
    public var channel: String
    public var offset: UInt64
    public var epoch: String

    public init(channel: String, offset: UInt64, epoch: String) {
        self.channel = channel
        self.offset = offset
        self.epoch = epoch
    }

    private static let start = Array(#"{"push":"pub","channel":""#.utf8)
    private static let afterChannel = Array(#"","offset":"#.utf8)
    private static let afterOffset = Array(#","epoch":""#.utf8)
    private static let afterEpoch = Array(#"","data":"#.utf8)

    /// Reads the head of one message (one line of a frame). Nil when it is not a `pub` push in the node's form.
    public static func parse(_ line: UnsafeRawBufferPointer) -> PubPushHeader? {
        var index = 0
        guard expect(start, in: line, at: &index), let channel = string(in: line, at: &index),
            expect(afterChannel, in: line, at: &index), let offset = number(in: line, at: &index),
            expect(afterOffset, in: line, at: &index), let epoch = string(in: line, at: &index),
            expect(afterEpoch, in: line, at: &index)
        else { return nil }
        return PubPushHeader(channel: channel, offset: offset, epoch: epoch)
    }

    private static func expect(_ literal: [UInt8], in line: UnsafeRawBufferPointer, at index: inout Int) -> Bool {
        guard line.count - index >= literal.count else { return false }
        for byte in literal {
            guard line[index] == byte else { return false }
            index += 1
        }
        return true
    }

    /// A string body up to its closing quote, without escapes or control characters (else nil).
    private static func string(in line: UnsafeRawBufferPointer, at index: inout Int) -> String? {
        let begin = index
        while index < line.count {
            let byte = line[index]
            if byte == UInt8(ascii: "\"") {
                guard index > begin else { return nil }
                return String(decoding: UnsafeRawBufferPointer(rebasing: line[begin..<index]), as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            index += 1
        }
        return nil
    }

    private static func number(in line: UnsafeRawBufferPointer, at index: inout Int) -> UInt64? {
        var value: UInt64 = 0
        let begin = index
        while index < line.count, (0x30...0x39).contains(line[index]) {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(line[index] - 0x30))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        // No leading zeros (JSON), at least one digit.
        guard index > begin, !(index - begin > 1 && line[begin] == 0x30) else { return nil }
        return value
    }
}
