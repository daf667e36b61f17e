/// Active health-check state of one endpoint: `rise` consecutive successes make an unhealthy endpoint healthy,
/// `fall` consecutive failures make a healthy one unhealthy (HAProxy's rise/fall).
///
/// It starts **healthy** by default, so an endpoint takes traffic as soon as it is configured and one failed
/// check does not flap it; pass `initiallyHealthy: false` to require `rise` passing checks first (for example
/// for an endpoint added at run time). A value type: the caller owns it and serialises access.
public struct HealthStateMachine: Sendable, Equatable {
    public let rise: Int
    public let fall: Int
    public private(set) var isHealthy: Bool
    /// Successes (when unhealthy) or failures (when healthy) seen in a row towards the next transition.
    public private(set) var streak: Int = 0

    /// `rise` and `fall` below 1 are treated as 1.
    public init(rise: Int, fall: Int, initiallyHealthy: Bool = true) {
        self.rise = max(rise, 1)
        self.fall = max(fall, 1)
        self.isHealthy = initiallyHealthy
    }

    public init(configuration: HealthCheckConfiguration, initiallyHealthy: Bool = true) {
        self.init(rise: configuration.rise, fall: configuration.fall, initiallyHealthy: initiallyHealthy)
    }

    /// Records one check result; returns a transition only when this result changed the health.
    public mutating func record(success: Bool) -> HealthTransition? {
        guard success != isHealthy else {
            streak = 0
            return nil
        }
        streak += 1
        guard streak >= (isHealthy ? fall : rise) else { return nil }
        streak = 0
        isHealthy.toggle()
        return isHealthy ? .becameHealthy : .becameUnhealthy
    }
}
