extension Duration {
    /// The duration in seconds as a `Double` (the unit every `now` in this module uses).
    var doubleSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
