/// Which sessions a rebalance moves: from every endpoint holding more than `balanceFactor` × the average
/// of the eligible endpoints, enough to bring it down to the average (rounded up). Sessions on endpoints
/// that are not eligible (drained, unhealthy) are a drain's business, not a rebalance's; they still count in
/// the total, since they will land on the eligible ones. Pure.
public enum SessionRebalancePlan {
    public struct Move: Sendable, Hashable {
        public var endpoint: String
        public var sessions: Int

        public init(endpoint: String, sessions: Int) {
            self.endpoint = endpoint
            self.sessions = sessions
        }
    }

    /// Where a rebalance's moves may land: the eligible endpoints below the average.
    public static func receivers(counts: [String: Int], eligible: Set<String>) -> Set<String> {
        guard !eligible.isEmpty else { return [] }
        let average = Double(counts.values.reduce(0, +)) / Double(eligible.count)
        return eligible.filter { Double(counts[$0] ?? 0) < average }
    }

    /// - Parameters:
    ///   - counts: live sessions by endpoint id.
    ///   - eligible: endpoints that take new sessions.
    /// - Returns: moves, largest first (ties by endpoint id); empty when balanced or nothing can move.
    public static func moves(counts: [String: Int], eligible: Set<String>, balanceFactor: Double) -> [Move] {
        guard eligible.count > 1 else { return [] }
        let total = counts.values.reduce(0, +)
        guard total > 0 else { return [] }
        let average = Double(total) / Double(eligible.count)
        let target = Int(average.rounded(.up))
        return eligible.compactMap { endpoint -> Move? in
            let count = counts[endpoint] ?? 0
            guard Double(count) > balanceFactor * average, count > target else { return nil }
            return Move(endpoint: endpoint, sessions: count - target)
        }
        .sorted { ($0.sessions, $1.endpoint) > ($1.sessions, $0.endpoint) }
    }
}
