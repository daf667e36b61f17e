/// Orders a cluster's endpoints for one request according to the cluster's balancing policy.
///
/// A value type with a little state (round-robin counters, the cached hash ring, a random generator): the
/// I/O layer keeps one per cluster inside its locked runtime state and calls ``select(_:endpoints:now:)`` under
/// that lock. No clock is read and nothing blocks.
///
/// Policies:
/// - round robin: smooth weighted round robin by effective weight;
/// - least connections: power of two choices on `(active + 1) / effectiveWeight`;
/// - random: weighted by effective weight;
/// - client IP / header / query / cookie hash: consistent hashing with bounded loads over a ring placed by
///   configured weight (``ConsistentHashRing``); a missing or empty key falls back to least connections;
/// - sticky cookie: the endpoint named by a valid cookie first (when it is a candidate), the rest by least
///   connections, so a pinned endpoint that is down or full fails over.
///
/// After the first pick, the remaining candidates follow in increasing load (hash policies: ring order), so
/// retries go to the next best endpoint.
public struct LoadBalancer: Sendable {
    public let policy: BalancingPolicyConfiguration
    public let balanceFactor: Double
    /// The codec of the sticky-cookie policy (nil for other policies); the caller uses it to issue cookies.
    public let stickyCookieCodec: StickyCookieCodec?
    private var generator: SplitMix64
    private var roundRobin = SmoothWeightedRoundRobin()
    private var ring: ConsistentHashRing?

    /// - Parameters:
    ///   - balanceFactor: bounded-loads factor (> 1 in valid configurations; values below 1 are treated as 1).
    ///   - seed: makes random and power-of-two choices reproducible (tests); nil seeds from the system.
    public init(policy: BalancingPolicyConfiguration, balanceFactor: Double, seed: UInt64? = nil) {
        self.policy = policy
        self.balanceFactor = max(balanceFactor, 1)
        var system = SystemRandomNumberGenerator()
        self.generator = SplitMix64(seed: seed ?? system.next())
        if case .stickyCookie(let configuration) = policy {
            self.stickyCookieCodec = StickyCookieCodec(configuration: configuration)
        } else {
            self.stickyCookieCodec = nil
        }
    }

    /// Candidates for `request`, best first. `now` is unix time in seconds (only the sticky cookie uses it).
    public mutating func select(_ request: BalancingRequest, endpoints: [EndpointCandidate], now: Double) -> BalancingDecision {
        switch policy {
        case .roundRobin:
            guard let first = roundRobin.next(endpoints) else { return BalancingDecision(candidates: []) }
            return BalancingDecision(candidates: [first] + byLoad(endpoints, excluding: first))
        case .leastConnections:
            return BalancingDecision(candidates: leastConnections(endpoints))
        case .random:
            guard let first = weightedRandom(endpoints) else { return BalancingDecision(candidates: []) }
            return BalancingDecision(candidates: [first] + byLoad(endpoints, excluding: first))
        case .clientIPHash:
            guard let ip = request.clientIP else { return BalancingDecision(candidates: leastConnections(endpoints)) }
            return BalancingDecision(candidates: hashed(StableHash.xxh64((ip.unmappedIPv4 ?? ip).bytes), endpoints))
        case .headerHash, .queryHash, .cookieHash:
            guard let key = request.affinityKey, !key.isEmpty else {
                return BalancingDecision(candidates: leastConnections(endpoints))
            }
            return BalancingDecision(candidates: hashed(StableHash.xxh64(key), endpoints))
        case .stickyCookie:
            let pinned = request.stickyCookie.flatMap { stickyCookieCodec?.decode($0, now: now) }
            var order = leastConnections(endpoints)
            if let pinned, let index = order.firstIndex(where: { endpoints[$0].id == pinned }) {
                order.insert(order.remove(at: index), at: 0)
            }
            return BalancingDecision(candidates: order, stickyEndpointID: pinned)
        }
    }

    private mutating func hashed(_ hash: UInt64, _ endpoints: [EndpointCandidate]) -> [Int] {
        let members = endpoints.map { ConsistentHashRing.Member(id: $0.id, weight: $0.weight) }
        if ring?.members != members { ring = ConsistentHashRing(members: members) }
        return ring?.boundedLoadOrder(hash: hash, endpoints: endpoints, balanceFactor: balanceFactor) ?? []
    }

    /// Power of two choices: the less loaded of two distinct random candidates, then the rest by load.
    private mutating func leastConnections(_ endpoints: [EndpointCandidate]) -> [Int] {
        let candidates = endpoints.indices.filter { endpoints[$0].isCandidate }
        guard candidates.count > 1 else { return candidates }
        let first = Int.random(in: 0..<candidates.count, using: &generator)
        var second = Int.random(in: 0..<(candidates.count - 1), using: &generator)
        if second >= first { second += 1 }
        let (a, b) = (candidates[first], candidates[second])
        let winner = endpoints[b].loadIfPicked < endpoints[a].loadIfPicked ? b : a
        return [winner] + byLoad(endpoints, excluding: winner)
    }

    private mutating func weightedRandom(_ endpoints: [EndpointCandidate]) -> Int? {
        let candidates = endpoints.indices.filter { endpoints[$0].isCandidate }
        let total = candidates.reduce(0.0) { $0 + max(endpoints[$1].effectiveWeight, 0) }
        guard total > 0 else { return candidates.first }
        var point = Double.random(in: 0..<total, using: &generator)
        for index in candidates {
            point -= max(endpoints[index].effectiveWeight, 0)
            if point < 0 { return index }
        }
        return candidates.last
    }

    /// Candidates other than `excluded`, by increasing load (ties: array order).
    private func byLoad(_ endpoints: [EndpointCandidate], excluding excluded: Int) -> [Int] {
        endpoints.indices
            .filter { $0 != excluded && endpoints[$0].isCandidate }
            .sorted { (endpoints[$0].loadIfPicked, $0) < (endpoints[$1].loadIfPicked, $1) }
    }
}
