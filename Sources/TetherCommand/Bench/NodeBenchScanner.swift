/// Extracts ``NodeBenchMessage``s from the text frames a node sends, without a JSON parser.
///
/// Relies on what docs/protocol.md fixes plus the node's compact encoding: messages in one frame are
/// separated by `\n`; a push starts with `{"push":"<kind>"`, a reply with `{"id":N`; a `pub` push has
/// its top-level `"offset"` before its `data`, and the bench's data is `{"ts":N,…}`. Key searches are
/// plain byte searches, so a channel name or data must not contain the searched keys (the bench's do
/// not). Pure and allocation-free; safe from any thread.
enum NodeBenchScanner {
    /// Calls `body` with every non-empty `\n`-separated message of `frame`, in order.
    static func forEachMessage(in frame: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        var index = 0
        let count = frame.count
        while index <= count {
            if index == count || frame[index] == 0x0A {
                if index > start { body(UnsafeRawBufferPointer(rebasing: frame[start..<index])) }
                start = index + 1
            }
            index += 1
        }
    }

    private static let pushPub = Array(#"{"push":"pub""#.utf8)
    private static let pushPing = Array(#"{"push":"ping""#.utf8)
    private static let pushDisconnect = Array(#"{"push":"disconnect""#.utf8)
    private static let replyID = Array(#"{"id":"#.utf8)
    private static let offsetKey = Array(#""offset":"#.utf8)
    private static let dataKey = Array(#""data":"#.utf8)
    private static let timestampKey = Array(#""ts":"#.utf8)
    private static let positionKey = Array(#""position":{"#.utf8)
    private static let errorKey = Array(#""error":{"#.utf8)
    private static let subErrorsKey = Array(#""sub_errors":{""#.utf8)
    private static let codeKey = Array(#""code":"#.utf8)

    /// Classifies one message (see ``NodeBenchMessage``).
    static func classify(_ message: UnsafeRawBufferPointer) -> NodeBenchMessage {
        if hasPrefix(message, pushPub) {
            guard let offset = integer(after: offsetKey, in: message, from: pushPub.count) else { return .other }
            var sentAt: UInt64?
            if let data = find(dataKey, in: message, from: offset.end),
                let ts = integer(after: timestampKey, in: message, from: data + dataKey.count), ts.value >= 0
            {
                sentAt = UInt64(ts.value)
            }
            return .publication(offset: offset.value, sentAt: sentAt)
        }
        if hasPrefix(message, replyID) {
            guard let id = integer(after: [], in: message, from: replyID.count) else { return .other }
            let failed =
                find(errorKey, in: message, from: id.end).map { $0 == id.end + 1 } ?? false
                || find(subErrorsKey, in: message, from: id.end) != nil
            return .reply(id: id.value, offset: positionOffset(in: message, from: id.end), failed: failed)
        }
        if hasPrefix(message, pushPing) { return .ping }
        if hasPrefix(message, pushDisconnect) {
            return .disconnect(code: integer(after: codeKey, in: message, from: pushDisconnect.count)?.value)
        }
        return .other
    }

    /// The offset of the first `"position":{…"offset":N` at or after `start` (a publish result, the server
    /// API's publish response, or a subscribe result).
    static func positionOffset(in bytes: UnsafeRawBufferPointer, from start: Int = 0) -> Int64? {
        guard let position = find(positionKey, in: bytes, from: start) else { return nil }
        return integer(after: offsetKey, in: bytes, from: position + positionKey.count)?.value
    }

    static func hasPrefix(_ bytes: UnsafeRawBufferPointer, _ prefix: [UInt8]) -> Bool {
        guard bytes.count >= prefix.count else { return false }
        for index in 0..<prefix.count where bytes[index] != prefix[index] { return false }
        return true
    }

    /// The index of the first occurrence of `needle` at or after `start`.
    static func find(_ needle: [UInt8], in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let first = needle.first, bytes.count >= needle.count else { return nil }
        var index = max(0, start)
        let last = bytes.count - needle.count
        outer: while index <= last {
            if bytes[index] == first {
                for offset in 1..<needle.count where bytes[index + offset] != needle[offset] {
                    index += 1
                    continue outer
                }
                return index
            }
            index += 1
        }
        return nil
    }

    /// The integer (optional `-`, decimal digits, at most 18 of them) right after the first `key` at or
    /// after `start` (with an empty `key`: at `start`), and the index after its last digit.
    static func integer(after key: [UInt8], in bytes: UnsafeRawBufferPointer, from start: Int) -> (value: Int64, end: Int)? {
        var index: Int
        if key.isEmpty {
            index = start
        } else {
            guard let found = find(key, in: bytes, from: start) else { return nil }
            index = found + key.count
        }
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var value: Int64 = 0
        var digits = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39, digits < 18 {
            value = value * 10 + Int64(bytes[index] - 0x30)
            digits += 1
            index += 1
        }
        guard digits > 0 else { return nil }
        return (negative ? -value : value, index)
    }
}
