import Testing

@testable import TetherGatewayCore

@Suite struct SlowStartTests {
    @Test func rampsLinearlyFromTenPercent() {
        let window = Duration.seconds(10)
        #expect(SlowStart.weightFactor(elapsed: .zero, window: window) == 0.1)
        #expect(abs(SlowStart.weightFactor(elapsed: .seconds(5), window: window) - 0.55) < 1e-9)
        #expect(SlowStart.weightFactor(elapsed: .milliseconds(9999), window: window) < 1)
        #expect(SlowStart.weightFactor(elapsed: .seconds(10), window: window) == 1)
        #expect(SlowStart.weightFactor(elapsed: .seconds(60), window: window) == 1)
        #expect(SlowStart.weightFactor(elapsed: .seconds(-1), window: window) == 0.1)
    }

    @Test func zeroWindowDisablesIt() {
        #expect(SlowStart.weightFactor(elapsed: .zero, window: .zero) == 1)
    }
}
