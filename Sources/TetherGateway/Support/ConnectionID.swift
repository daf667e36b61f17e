import Synchronization

/// A process-unique id for a downstream connection, shown in every log line about it (`conn=…`).
struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    let value: UInt64

    private static let next = Atomic<UInt64>(1)

    static func make() -> ConnectionID {
        ConnectionID(value: next.wrappingAdd(1, ordering: .relaxed).oldValue)
    }

    var description: String { String(value, radix: 16) }
}
