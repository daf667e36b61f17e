/// A well-formed JSON value that does not have the shape a protocol type needs (a missing field, a field of the
/// wrong type or out of range). Commands turn it into error `107`; on the client it means a broken server message.
public struct JSONShapeError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { self.message }

    static func missing(_ key: String) -> JSONShapeError {
        JSONShapeError("\"\(key)\" is missing")
    }

    static func wrongType(_ key: String, _ expected: String) -> JSONShapeError {
        JSONShapeError("\"\(key)\" must be \(expected)")
    }
}
