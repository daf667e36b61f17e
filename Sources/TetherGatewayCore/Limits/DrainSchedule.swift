/// When to close each of N connections so the closes are spread evenly over a drain window instead of
/// arriving as one reconnect storm.
public enum DrainSchedule {
    /// Offsets from the start of the drain: the i-th close (0-based) at `i × window / count`, so the first
    /// closes at once and the last at `window × (count - 1) / count`, and every close happens inside the window.
    /// `jitter` in 0...1 moves each offset later by up to that fraction of one slot (`window / count`), using
    /// `generator`, so gateways draining together do not close in lockstep; offsets stay sorted and in the window.
    public static func offsets(
        count: Int,
        window: Duration,
        jitter: Double = 0,
        using generator: inout some RandomNumberGenerator
    ) -> [Duration] {
        guard count > 0 else { return [] }
        guard window > .zero else { return Array(repeating: .zero, count: count) }
        let slot = window / count
        let jitter = jitter.isFinite ? min(max(jitter, 0), 1) : 0
        return (0..<count).map { index in
            let offset = slot * index
            guard jitter > 0 else { return offset }
            return offset + slot * (jitter * Double.random(in: 0..<1, using: &generator))
        }
    }

    /// ``offsets(count:window:jitter:using:)`` without jitter.
    public static func offsets(count: Int, window: Duration) -> [Duration] {
        var generator = SystemRandomNumberGenerator()
        return offsets(count: count, window: window, jitter: 0, using: &generator)
    }
}
