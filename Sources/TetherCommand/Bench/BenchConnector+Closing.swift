extension BenchConnector {
    /// Runs `body`, then closes the channels of `opened` and shuts ``loops`` down, also when `body` throws
    /// (its error is rethrown after the clean-up).
    func closing<Value>(_ opened: Result, after body: () async throws -> Value) async throws -> Value {
        let outcome: Swift.Result<Value, any Error>
        do {
            outcome = .success(try await body())
        } catch {
            outcome = .failure(error)
        }
        await Self.closeAll(opened.channels)
        await self.loops.shutdown()
        return try outcome.get()
    }
}
