import NIOCore

/// One argument of a command, sent as a RESP bulk string.
public struct RESPArgument: Sendable, Equatable, ExpressibleByStringInterpolation, ExpressibleByIntegerLiteral {
    enum Storage: Sendable, Equatable {
        case string(String)
        case bytes(ByteBuffer)
        case int(Int)
    }

    let storage: Storage

    /// Text, sent as its UTF-8 bytes.
    public static func string(_ value: String) -> RESPArgument { RESPArgument(storage: .string(value)) }
    /// Raw bytes, sent as they are (the buffer's readable bytes; it is not consumed).
    public static func bytes(_ value: ByteBuffer) -> RESPArgument { RESPArgument(storage: .bytes(value)) }
    /// An integer, sent as its decimal text.
    public static func int(_ value: Int) -> RESPArgument { RESPArgument(storage: .int(value)) }

    public init(stringLiteral value: String) { storage = .string(value) }
    public init(stringInterpolation: DefaultStringInterpolation) { storage = .string(String(stringInterpolation: stringInterpolation)) }
    public init(integerLiteral value: Int) { storage = .int(value) }
    init(storage: Storage) { self.storage = storage }

    /// Bytes this argument takes as a bulk string payload (used to size the write buffer).
    var estimatedLength: Int {
        switch storage {
        case .string(let s): return s.utf8.count
        case .bytes(let b): return b.readableBytes
        case .int: return 20
        }
    }
}
