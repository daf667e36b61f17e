/// One named check of the engine contract (see ``EngineConformance/cases``). Running it makes its own
/// engine(s) through the context and throws ``EngineConformanceFailure`` (or the engine's error) when
/// the engine breaks the contract.
public struct EngineConformanceCase: Sendable, CustomStringConvertible {
    public let name: String
    private let body: @Sendable (EngineConformanceContext) async throws -> Void

    public init(_ name: String, _ body: @escaping @Sendable (EngineConformanceContext) async throws -> Void) {
        self.name = name
        self.body = body
    }

    public func run(_ context: EngineConformanceContext) async throws {
        try await self.body(context)
    }

    public var description: String { self.name }
}
