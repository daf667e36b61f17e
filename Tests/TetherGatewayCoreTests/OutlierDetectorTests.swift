import Testing

@testable import TetherGatewayCore

@Suite struct OutlierDetectorTests {
    private let configuration = OutlierDetectionConfiguration(
        consecutiveFailures: 3, baseEjectionTime: .seconds(5), maxEjectionTime: .seconds(12))

    @Test func consecutiveFailuresEjectWithDoublingCappedBackoff() {
        var detector = OutlierDetector(configuration: configuration)
        let outcomes = [(false, 0.0), (false, 0), (false, 1)].map { detector.record(success: $0.0, now: $0.1) }
        #expect(outcomes == [false, false, true])
        #expect(detector.ejectedUntil == 6)
        #expect(detector.isEjected(now: 5.9) && !detector.isEjected(now: 6))
        let lateFailure = detector.record(success: false, now: 2)
        #expect(!lateFailure)  // ignored while ejected
        #expect(detector.ejectedUntil == 6)

        for _ in 0..<3 { detector.record(success: false, now: 6) }
        #expect(detector.ejectedUntil == 16)  // 5 × 2
        for _ in 0..<3 { detector.record(success: false, now: 16) }
        #expect(detector.ejectedUntil == 28)  // 5 × 4 = 20, capped at 12
        #expect(detector.ejectionCount == 3)
    }

    @Test func aSuccessBreaksTheFailureStreak() {
        var detector = OutlierDetector(configuration: configuration)
        for success in [false, false, true, false, false] { detector.record(success: success, now: 0) }
        #expect(!detector.isEjected(now: 0))
        #expect(detector.consecutiveFailures == 2)
    }

    @Test func backoffResetsAfterStayingGoodForAnEjectionLength() {
        var detector = OutlierDetector(configuration: configuration)
        for _ in 0..<3 { detector.record(success: false, now: 0) }  // ejected until 5
        detector.record(success: true, now: 7)  // too soon to forgive
        #expect(detector.ejectionCount == 1)
        detector.record(success: true, now: 10)  // 5 s good after a 5 s ejection
        #expect(detector.ejectionCount == 0 && detector.ejectedUntil == nil)
        for _ in 0..<3 { detector.record(success: false, now: 20) }
        #expect(detector.ejectedUntil == 25)  // base again, not doubled
    }
}
