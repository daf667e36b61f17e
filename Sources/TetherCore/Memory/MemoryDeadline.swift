/// Deadlines on the engine clock (milliseconds since the Unix epoch).
enum MemoryDeadline {
    /// `now + duration`, saturating instead of overflowing; a negative duration counts as zero.
    static func after(_ duration: Duration, from now: Int64) -> Int64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 || seconds > 0 else { return now }
        let (wholeMilliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return .max }
        let milliseconds = wholeMilliseconds + attoseconds / 1_000_000_000_000_000
        guard milliseconds > 0 else { return now }
        let (sum, sumOverflow) = now.addingReportingOverflow(milliseconds)
        return sumOverflow ? .max : sum
    }
}
