import Testing

@testable import TetherGatewayCore

@Suite struct HealthStateMachineTests {
    @Test func fallThenRiseReportOnlyTransitions() {
        var machine = HealthStateMachine(rise: 2, fall: 3)
        #expect(machine.isHealthy)
        #expect([false, false].map { machine.record(success: $0) } == [nil, nil])
        #expect(machine.record(success: false) == .becameUnhealthy)
        #expect(!machine.isHealthy)
        #expect(machine.record(success: false) == nil)
        #expect(machine.record(success: true) == nil)
        #expect(machine.record(success: true) == .becameHealthy)
        #expect(machine.record(success: true) == nil)
    }

    @Test func anOppositeResultBreaksTheStreak() {
        var machine = HealthStateMachine(rise: 2, fall: 2)
        let results = [false, true, false, true, false].map { machine.record(success: $0) }
        #expect(results.allSatisfy { $0 == nil })
        #expect(machine.isHealthy)
    }

    @Test func canStartUnhealthyFromConfiguration() {
        var machine = HealthStateMachine(configuration: HealthCheckConfiguration(rise: 1, fall: 1), initiallyHealthy: false)
        #expect(!machine.isHealthy)
        #expect(machine.record(success: true) == .becameHealthy)
        #expect(machine.record(success: false) == .becameUnhealthy)
    }
}
