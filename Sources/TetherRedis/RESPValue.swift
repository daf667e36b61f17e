import NIOCore

/// One RESP value, as read from Redis. RESP3 has all of these; a RESP2 server only ever sends simple strings,
/// errors, integers, bulk strings, arrays and nulls (`$-1` and `*-1` both become ``null``).
///
/// Byte payloads are `ByteBuffer`s sliced out of the connection's read buffer: they share storage with it until
/// modified (copy-on-write), so holding on to a value is safe. Attributes (`|`) are parsed and dropped by the
/// parser, so they never appear here.
public enum RESPValue: Sendable, Equatable {
    case simpleString(ByteBuffer)
    case bulkString(ByteBuffer)
    /// RESP3 verbatim string: a three-letter format (`txt`, `mkd`) and the text.
    case verbatimString(format: String, ByteBuffer)
    /// `-CODE message`. ``RedisClient/send(_:)`` throws these as ``RedisError/server(code:message:)``.
    case simpleError(ByteBuffer)
    /// RESP3 `!` error. Thrown like ``simpleError(_:)``.
    case bulkError(ByteBuffer)
    case integer(Int64)
    case double(Double)
    case boolean(Bool)
    /// RESP3 big number, kept as its decimal text (an optional `-` and digits).
    case bigNumber(String)
    case null
    case array([RESPValue])
    case set([RESPValue])
    /// RESP3 map, flattened: key, value, key, value...
    case map([RESPValue])
    /// RESP3 out-of-band push (pub/sub messages, invalidations).
    case push([RESPValue])

    /// The value as text: simple, bulk and verbatim strings (UTF-8, invalid bytes repaired), integers, doubles,
    /// big numbers and booleans (`"1"`/`"0"`); `nil` for nulls, errors and aggregates.
    public var string: String? {
        switch self {
        case .simpleString(let b), .bulkString(let b), .verbatimString(_, let b):
            return String(buffer: b)
        case .integer(let i): return String(i)
        case .double(let d): return String(d)
        case .bigNumber(let s): return s
        case .boolean(let b): return b ? "1" : "0"
        default: return nil
        }
    }

    /// The value as an integer: RESP integers, booleans, and strings holding a decimal integer (Redis returns
    /// many counters as bulk strings, for example `GET` of an `INCR`ed key).
    public var int: Int64? {
        switch self {
        case .integer(let i): return i
        case .boolean(let b): return b ? 1 : 0
        case .simpleString(let b), .bulkString(let b): return Int64(String(buffer: b))
        case .bigNumber(let s): return Int64(s)
        default: return nil
        }
    }

    /// The elements of an array, set, map (flattened) or push; `nil` otherwise (including ``null``).
    public var array: [RESPValue]? {
        switch self {
        case .array(let a), .set(let a), .map(let a), .push(let a): return a
        default: return nil
        }
    }

    /// The raw bytes of a simple, bulk or verbatim string or an error; `nil` otherwise.
    public var buffer: ByteBuffer? {
        switch self {
        case .simpleString(let b), .bulkString(let b), .verbatimString(_, let b), .simpleError(let b), .bulkError(let b):
            return b
        default: return nil
        }
    }

    /// `true` for ``null``.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The error this value carries, if it is a simple or bulk error: the text is split at its first space into
    /// code (`NOSCRIPT`, `ERR`, `WRONGTYPE`...) and message.
    public var serverError: RedisError? {
        switch self {
        case .simpleError(let b), .bulkError(let b): return RedisError(serverErrorText: String(buffer: b))
        default: return nil
        }
    }
}
