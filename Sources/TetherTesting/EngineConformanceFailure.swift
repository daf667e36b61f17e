/// A broken engine contract found by an ``EngineConformance`` case: what was expected, and where in
/// the suite the check is.
public struct EngineConformanceFailure: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let file: String
    public let line: Int

    public init(_ message: String, file: StaticString = #filePath, line: UInt = #line) {
        self.message = message
        self.file = "\(file)"
        self.line = Int(line)
    }

    public var description: String { "\(self.file):\(self.line): \(self.message)" }
}
