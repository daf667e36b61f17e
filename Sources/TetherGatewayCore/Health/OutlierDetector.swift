/// Passive ejection of one endpoint from real traffic outcomes (connect or handshake success/failure).
///
/// `consecutiveFailures` failures in a row eject the endpoint until `now + base × 2^(k-1)` (capped at
/// `maxEjectionTime`), where k counts its ejections so far. Results reported while ejected (late failures of
/// connections started before) are ignored. k goes back to 0 on a success reported at least one
/// (last) ejection length after the last ejection ended, so an endpoint that stays good is forgiven and one that
/// keeps failing backs off ever longer.
///
/// Time: `now` is seconds on any monotonic clock, as a `Double`; the caller passes the same clock every time.
public struct OutlierDetector: Sendable, Equatable {
    public let configuration: OutlierDetectionConfiguration
    public private(set) var consecutiveFailures = 0
    /// Ejections since the last reset (k).
    public private(set) var ejectionCount = 0
    /// When the current or last ejection ends; nil if never ejected since the last reset.
    public private(set) var ejectedUntil: Double?
    private var lastEjectionLength = 0.0

    public init(configuration: OutlierDetectionConfiguration = .init()) {
        self.configuration = configuration
    }

    public func isEjected(now: Double) -> Bool {
        ejectedUntil.map { now < $0 } ?? false
    }

    /// Records one outcome. Returns true when this failure ejected the endpoint.
    @discardableResult
    public mutating func record(success: Bool, now: Double) -> Bool {
        guard !isEjected(now: now) else { return false }
        if success {
            consecutiveFailures = 0
            if let until = ejectedUntil, now >= until + lastEjectionLength {
                ejectionCount = 0
                ejectedUntil = nil
            }
            return false
        }
        consecutiveFailures += 1
        guard consecutiveFailures >= max(configuration.consecutiveFailures, 1) else { return false }
        consecutiveFailures = 0
        ejectionCount += 1
        let base = configuration.baseEjectionTime.doubleSeconds
        let doubled = base * Double(1 << min(ejectionCount - 1, 30))
        lastEjectionLength = min(doubled, configuration.maxEjectionTime.doubleSeconds)
        ejectedUntil = now + lastEjectionLength
        return true
    }
}
