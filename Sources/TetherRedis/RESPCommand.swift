import NIOCore

/// A command: its name and arguments, written to Redis as an array of bulk strings.
///
/// The name may hold several words (`"SCRIPT LOAD"`, `"CLIENT PAUSE"`): each word is sent as its own element,
/// before the arguments.
public struct RESPCommand: Sendable, Equatable {
    public var name: String
    public var arguments: [RESPArgument]

    public init(_ name: String, _ arguments: [RESPArgument] = []) {
        self.name = name
        self.arguments = arguments
    }

    public init(_ name: String, _ first: RESPArgument, _ rest: RESPArgument...) {
        self.init(name, [first] + rest)
    }

    /// Appends this command in RESP form (`*N\r\n` then `$len\r\nbytes\r\n` per element) to `buffer`.
    public func encode(into buffer: inout ByteBuffer) {
        let words = name.split(separator: " ", omittingEmptySubsequences: true)
        buffer.writeStaticString("*")
        buffer.writeDecimal(words.count + arguments.count)
        buffer.writeStaticString("\r\n")
        for word in words {
            buffer.writeStaticString("$")
            buffer.writeDecimal(word.utf8.count)
            buffer.writeStaticString("\r\n")
            buffer.writeSubstring(word)
            buffer.writeStaticString("\r\n")
        }
        for argument in arguments {
            switch argument.storage {
            case .string(let s):
                buffer.writeStaticString("$")
                buffer.writeDecimal(s.utf8.count)
                buffer.writeStaticString("\r\n")
                buffer.writeString(s)
            case .bytes(let b):
                buffer.writeStaticString("$")
                buffer.writeDecimal(b.readableBytes)
                buffer.writeStaticString("\r\n")
                buffer.writeImmutableBuffer(b)
            case .int(let i):
                let text = String(i)
                buffer.writeStaticString("$")
                buffer.writeDecimal(text.utf8.count)
                buffer.writeStaticString("\r\n")
                buffer.writeString(text)
            }
            buffer.writeStaticString("\r\n")
        }
    }

    /// A rough upper bound of the encoded size, to reserve the write buffer once.
    var estimatedLength: Int {
        arguments.reduce(name.utf8.count + 32) { $0 + $1.estimatedLength + 16 }
    }
}

extension ByteBuffer {
    mutating func writeDecimal(_ value: Int) {
        writeString(String(value))
    }
}
