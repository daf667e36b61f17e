import NIOCore

/// An incremental RESP2/RESP3 parser.
///
/// Feed it the bytes read so far with ``next(from:)``; it consumes one complete top-level value and returns it,
/// or returns `nil` and keeps its progress when the bytes end in the middle of one (any split of the stream
/// works, down to one byte at a time). Aggregates are built as their elements arrive, so a long reply is read in
/// linear time however it is split.
///
/// Every length and count it reads is checked against ``Limits`` *before* anything is allocated for it, and any
/// input that is not valid RESP throws ``RedisError/protocolError(_:)``: it never traps and never reserves memory
/// for bytes that have not arrived. After an error the parser's state is undefined; drop the connection.
///
/// Supported: simple strings, errors, integers, bulk strings (and RESP2 `$-1`/`*-1` nulls), arrays, RESP3 null,
/// double, boolean, big number, bulk error, verbatim string, map, set, push, attributes (parsed and discarded),
/// and streamed strings (`$?` with `;` chunks) and streamed aggregates (`*?`, `%?`, `~?`, `>?` ended by `.`).
public struct RESPParser: Sendable {
    /// Bounds on what a peer can make the parser hold.
    public struct Limits: Sendable, Equatable {
        /// Longest bulk string, verbatim string, bulk error or streamed string, in bytes.
        public var maxBulkLength: Int
        /// Most elements in one aggregate (a map of n pairs counts 2n).
        public var maxAggregateCount: Int
        /// Deepest nesting of aggregates (attributes included).
        public var maxDepth: Int
        /// Longest header line (simple strings, simple errors, numbers).
        public var maxLineLength: Int

        public init(maxBulkLength: Int = 64 << 20, maxAggregateCount: Int = 1 << 24, maxDepth: Int = 32,
                    maxLineLength: Int = 64 << 10) {
            self.maxBulkLength = maxBulkLength
            self.maxAggregateCount = maxAggregateCount
            self.maxDepth = maxDepth
            self.maxLineLength = maxLineLength
        }
    }

    enum Kind: Sendable {
        case array, set, map, push, attribute
    }

    struct Frame: Sendable {
        var kind: Kind
        /// Elements still expected, or `nil` for a streamed aggregate (ended by `.`).
        var remaining: Int?
        var elements: [RESPValue]
    }

    enum Token {
        case value(RESPValue)
        case open(Kind, count: Int?)
        case openStreamedString
        case chunk(ByteBuffer)
        case end
    }

    public let limits: Limits
    private var stack: [Frame] = []
    /// The streamed string being assembled, if any (`$?`); chunks arrive as `;len` tokens.
    private var streamedString: ByteBuffer?

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Consumes and returns the next complete top-level value in `buffer`, or returns `nil` when more bytes are
    /// needed (the consumed prefix is kept in the parser's state; pass the rest again with more bytes appended).
    public mutating func next(from buffer: inout ByteBuffer) throws(RedisError) -> RESPValue? {
        while true {
            guard let token = try readToken(&buffer) else { return nil }
            var completed: RESPValue?
            switch token {
            case .value(let value):
                completed = value
            case .open(let kind, let count):
                guard stack.count < limits.maxDepth else {
                    throw .protocolError("nesting deeper than \(limits.maxDepth)")
                }
                if count == 0 {
                    if kind == .attribute { continue }
                    completed = Self.aggregate(kind, [])
                } else {
                    stack.append(Frame(kind: kind, remaining: count, elements: []))
                }
            case .openStreamedString:
                streamedString = ByteBuffer()
            case .chunk(let chunk):
                guard var partial = streamedString else { throw .protocolError("chunk outside a streamed string") }
                if chunk.readableBytes == 0 {
                    streamedString = nil
                    completed = .bulkString(partial)
                } else {
                    guard partial.readableBytes + chunk.readableBytes <= limits.maxBulkLength else {
                        throw .protocolError("streamed string longer than \(limits.maxBulkLength)")
                    }
                    streamedString = nil  // keep the buffer uniquely referenced while appending
                    partial.writeImmutableBuffer(chunk)
                    streamedString = partial
                }
            case .end:
                guard let top = stack.last, top.remaining == nil else {
                    throw .protocolError("'.' outside a streamed aggregate")
                }
                stack.removeLast()
                if top.kind == .map && top.elements.count % 2 != 0 {
                    throw .protocolError("streamed map with an odd number of elements")
                }
                if top.kind == .attribute { continue }
                completed = Self.aggregate(top.kind, top.elements)
            }
            while let value = completed {
                guard !stack.isEmpty else { return value }
                completed = nil
                let index = stack.count - 1
                stack[index].elements.append(value)
                if let remaining = stack[index].remaining {
                    if remaining == 1 {
                        let frame = stack.removeLast()
                        if frame.kind != .attribute {
                            completed = Self.aggregate(frame.kind, frame.elements)
                        }
                    } else {
                        stack[index].remaining = remaining - 1
                    }
                } else if stack[index].elements.count > limits.maxAggregateCount {
                    throw .protocolError("streamed aggregate longer than \(limits.maxAggregateCount)")
                }
            }
        }
    }

    private static func aggregate(_ kind: Kind, _ elements: [RESPValue]) -> RESPValue {
        switch kind {
        case .array: return .array(elements)
        case .set: return .set(elements)
        case .map: return .map(elements)
        case .push: return .push(elements)
        case .attribute: return .null  // never delivered
        }
    }

    // MARK: - Tokens

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    /// Finds the CRLF ending the line that starts `offset` bytes after the reader index. Returns the offset of
    /// the CR, or `nil` if the line is not complete yet.
    private func lineEnd(_ buffer: ByteBuffer, from offset: Int) throws(RedisError) -> Int? {
        let readable = buffer.readableBytes
        let limit = min(readable, offset + limits.maxLineLength + 1)
        enum Found { case at(Int), incomplete, bareCR }
        let found: Found = buffer.withUnsafeReadableBytes { raw in
            var i = offset
            while i < limit {
                if raw[i] == Self.cr {
                    if i + 1 >= readable { return .incomplete }
                    return raw[i + 1] == Self.lf ? .at(i) : .bareCR
                }
                i += 1
            }
            return .incomplete
        }
        switch found {
        case .at(let index):
            guard index - offset <= limits.maxLineLength else {
                throw .protocolError("line longer than \(limits.maxLineLength)")
            }
            return index
        case .bareCR:
            throw .protocolError("CR not followed by LF")
        case .incomplete:
            if readable - offset > limits.maxLineLength + 1 {
                throw .protocolError("line longer than \(limits.maxLineLength)")
            }
            return nil
        }
    }

    /// Reads one token; on `nil` nothing was consumed.
    private func readToken(_ buffer: inout ByteBuffer) throws(RedisError) -> Token? {
        guard let type = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        guard let cr = try lineEnd(buffer, from: 1) else { return nil }
        let base = buffer.readerIndex
        let lineStart = base + 1
        let lineLength = cr - 1
        let afterLine = cr + 2  // offset from the reader index

        if streamedString != nil && type != UInt8(ascii: ";") {
            throw .protocolError("expected a ';' chunk inside a streamed string")
        }

        switch type {
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let line = buffer.getSlice(at: lineStart, length: lineLength)!
            buffer.moveReaderIndex(forwardBy: afterLine)
            return .value(type == UInt8(ascii: "+") ? .simpleString(line) : .simpleError(line))

        case UInt8(ascii: ":"):
            guard let value = Self.parseInteger(buffer, at: lineStart, length: lineLength) else {
                throw .protocolError("invalid integer")
            }
            buffer.moveReaderIndex(forwardBy: afterLine)
            return .value(.integer(value))

        case UInt8(ascii: "_"):
            guard lineLength == 0 else { throw .protocolError("invalid null") }
            buffer.moveReaderIndex(forwardBy: afterLine)
            return .value(.null)

        case UInt8(ascii: "#"):
            guard lineLength == 1, let byte = buffer.getInteger(at: lineStart, as: UInt8.self),
                  byte == UInt8(ascii: "t") || byte == UInt8(ascii: "f")
            else { throw .protocolError("invalid boolean") }
            buffer.moveReaderIndex(forwardBy: afterLine)
            return .value(.boolean(byte == UInt8(ascii: "t")))

        case UInt8(ascii: ","):
            let text = buffer.getString(at: lineStart, length: lineLength) ?? ""
            guard let value = Self.parseDouble(text) else { throw .protocolError("invalid double") }
            buffer.moveReaderIndex(forwardBy: afterLine)
            return .value(.double(value))

        case UInt8(ascii: "("):
            let text = buffer.getString(at: lineStart, length: lineLength) ?? ""
            guard Self.isBigNumber(text) else { throw .protocolError("invalid big number") }
            buffer.moveReaderIndex(forwardBy: afterLine)
            return .value(.bigNumber(text))

        case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
            if type == UInt8(ascii: "$"), lineLength == 1, buffer.getInteger(at: lineStart, as: UInt8.self) == UInt8(ascii: "?") {
                buffer.moveReaderIndex(forwardBy: afterLine)
                return .openStreamedString
            }
            guard let length = Self.parseInteger(buffer, at: lineStart, length: lineLength) else {
                throw .protocolError("invalid length")
            }
            if length == -1 && type == UInt8(ascii: "$") {
                buffer.moveReaderIndex(forwardBy: afterLine)
                return .value(.null)
            }
            guard length >= 0, length <= Int64(limits.maxBulkLength) else {
                throw .protocolError("bulk length \(length) out of range (max \(limits.maxBulkLength))")
            }
            let count = Int(length)
            guard buffer.readableBytes - afterLine >= count + 2 else { return nil }
            guard buffer.getInteger(at: base + afterLine + count, as: UInt8.self) == Self.cr,
                  buffer.getInteger(at: base + afterLine + count + 1, as: UInt8.self) == Self.lf
            else { throw .protocolError("bulk payload not followed by CRLF") }
            let payload = buffer.getSlice(at: base + afterLine, length: count)!
            let value: RESPValue
            switch type {
            case UInt8(ascii: "$"): value = .bulkString(payload)
            case UInt8(ascii: "!"): value = .bulkError(payload)
            default:
                guard count >= 4, payload.getInteger(at: payload.readerIndex + 3, as: UInt8.self) == UInt8(ascii: ":")
                else { throw .protocolError("invalid verbatim string") }
                let format = payload.getString(at: payload.readerIndex, length: 3) ?? ""
                value = .verbatimString(format: format, payload.getSlice(at: payload.readerIndex + 4, length: count - 4)!)
            }
            buffer.moveReaderIndex(forwardBy: afterLine + count + 2)
            return .value(value)

        case UInt8(ascii: ";"):
            guard streamedString != nil else { throw .protocolError("chunk outside a streamed string") }
            guard let length = Self.parseInteger(buffer, at: lineStart, length: lineLength),
                  length >= 0, length <= Int64(limits.maxBulkLength)
            else { throw .protocolError("invalid chunk length") }
            let count = Int(length)
            if count == 0 {
                buffer.moveReaderIndex(forwardBy: afterLine)
                return .chunk(ByteBuffer())
            }
            guard buffer.readableBytes - afterLine >= count + 2 else { return nil }
            guard buffer.getInteger(at: base + afterLine + count, as: UInt8.self) == Self.cr,
                  buffer.getInteger(at: base + afterLine + count + 1, as: UInt8.self) == Self.lf
            else { throw .protocolError("chunk not followed by CRLF") }
            let payload = buffer.getSlice(at: base + afterLine, length: count)!
            buffer.moveReaderIndex(forwardBy: afterLine + count + 2)
            return .chunk(payload)

        case UInt8(ascii: "."):
            guard lineLength == 0 else { throw .protocolError("invalid end marker") }
            buffer.moveReaderIndex(forwardBy: afterLine)
            return .end

        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: "%"), UInt8(ascii: ">"), UInt8(ascii: "|"):
            let kind: Kind
            switch type {
            case UInt8(ascii: "*"): kind = .array
            case UInt8(ascii: "~"): kind = .set
            case UInt8(ascii: "%"): kind = .map
            case UInt8(ascii: ">"): kind = .push
            default: kind = .attribute
            }
            if lineLength == 1, buffer.getInteger(at: lineStart, as: UInt8.self) == UInt8(ascii: "?"), kind != .attribute {
                guard stack.count < limits.maxDepth else { throw .protocolError("nesting deeper than \(limits.maxDepth)") }
                buffer.moveReaderIndex(forwardBy: afterLine)
                return .open(kind, count: nil)
            }
            guard let count = Self.parseInteger(buffer, at: lineStart, length: lineLength) else {
                throw .protocolError("invalid aggregate count")
            }
            if count == -1 && kind == .array {
                buffer.moveReaderIndex(forwardBy: afterLine)
                return .value(.null)
            }
            let factor: Int64 = (kind == .map || kind == .attribute) ? 2 : 1
            guard count >= 0, count <= Int64(limits.maxAggregateCount) / factor else {
                throw .protocolError("aggregate count \(count) out of range (max \(limits.maxAggregateCount))")
            }
            buffer.moveReaderIndex(forwardBy: afterLine)
            return .open(kind, count: Int(count * factor))

        default:
            throw .protocolError("unknown type byte \(type)")
        }
    }

    /// Parses an optionally signed decimal integer with no other characters; `nil` on anything else or overflow.
    static func parseInteger(_ buffer: ByteBuffer, at index: Int, length: Int) -> Int64? {
        guard length > 0, length <= 20 else { return nil }
        var position = index
        let end = index + length
        var negative = false
        if let first = buffer.getInteger(at: position, as: UInt8.self), first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            position += 1
            guard position < end else { return nil }
        }
        var value: Int64 = 0
        while position < end {
            guard let byte = buffer.getInteger(at: position, as: UInt8.self),
                  byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9")
            else { return nil }
            let digit = Int64(byte - UInt8(ascii: "0"))
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative ? times10.subtractingReportingOverflow(digit) : times10.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = next
            position += 1
        }
        return value
    }

    static func parseDouble(_ text: String) -> Double? {
        switch text {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "nan", "-nan": return .nan
        default: break
        }
        guard !text.isEmpty, text.utf8.allSatisfy({ b in
            (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
        }) else { return nil }
        return Double(text)
    }

    static func isBigNumber(_ text: String) -> Bool {
        var digits = Substring(text)
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
