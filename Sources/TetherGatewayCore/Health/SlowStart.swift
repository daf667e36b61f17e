/// Weight ramp for an endpoint that just became eligible (added, recovered or back from ejection).
public enum SlowStart {
    /// Factor to multiply the configured weight by: 0.1 at `elapsed` = 0, rising linearly to 1.0 at `window`,
    /// 1.0 afterwards. A zero (or negative) window disables slow start (always 1.0).
    public static func weightFactor(elapsed: Duration, window: Duration) -> Double {
        guard window > .zero else { return 1 }
        guard elapsed > .zero else { return 0.1 }
        guard elapsed < window else { return 1 }
        return 0.1 + 0.9 * (elapsed.doubleSeconds / window.doubleSeconds)
    }
}
