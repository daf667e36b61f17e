import Testing
import TetherCore
import TetherTesting

/// The engine conformance suite (TetherTesting) on the memory engine, time on a manual clock.
@Suite struct MemoryEngineConformanceTests {
    static let channelCap = 64

    @Test(arguments: EngineConformance.cases)
    func conforms(_ check: EngineConformanceCase) async throws {
        let clock = ManualEngineClock()
        let context = EngineConformanceContext.manual(clock: clock, ttl: .seconds(10), channelCap: Self.channelCap) {
            MemoryEngine(clock: clock, limits: MemoryEngine.Limits(maxChannels: Self.channelCap))
        }
        try await check.run(context)
    }

    @Test func caseNamesAreUnique() {
        let names = EngineConformance.cases.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.count >= 25)
    }
}
