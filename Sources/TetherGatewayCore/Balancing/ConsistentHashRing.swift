/// A consistent-hash ring with virtual nodes, and the bounded-loads walk over it (Mirrokni, Thorup and
/// Zadimoghaddam, "Consistent Hashing with Bounded Loads", 2018).
///
/// Each member gets `weight × pointsPerWeight` points (at least one), scaled down when the ring would exceed
/// `maxPoints`. A member's points are `xxh64("id#i")` for i = 0, 1, 2, …, so changing one member's weight or
/// adding/removing one member only adds or removes that member's points: every other key keeps its owner.
struct ConsistentHashRing: Sendable {
    struct Member: Sendable, Equatable {
        var id: String
        var weight: Int
    }

    let members: [Member]
    /// Sorted point hashes and, at the same index, the member index owning that point.
    private let points: [UInt64]
    private let owners: [Int32]

    init(members: [Member], pointsPerWeight: Int = 100, maxPoints: Int = 200_000) {
        self.members = members
        let totalWeight = members.reduce(0) { $0 + max($1.weight, 1) }
        let perWeight = max(1, min(pointsPerWeight, maxPoints / max(totalWeight, 1)))
        var pairs: [(hash: UInt64, owner: Int32)] = []
        pairs.reserveCapacity(totalWeight * perWeight)
        for (index, member) in members.enumerated() {
            for point in 0..<(max(member.weight, 1) * perWeight) {
                pairs.append((StableHash.xxh64("\(member.id)#\(point)"), Int32(index)))
            }
        }
        pairs.sort { ($0.hash, $0.owner) < ($1.hash, $1.owner) }
        self.points = pairs.map(\.hash)
        self.owners = pairs.map(\.owner)
    }

    /// Calls `visit` with each member index once, in clockwise order from the first point at or after `hash`
    /// (wrapping), until every member was visited or `visit` returns false.
    func walk(from hash: UInt64, _ visit: (Int) -> Bool) {
        guard !points.isEmpty else { return }
        var low = 0
        var high = points.count
        while low < high {
            let middle = (low + high) / 2
            if points[middle] < hash { low = middle + 1 } else { high = middle }
        }
        var seen = [Bool](repeating: false, count: members.count)
        var remaining = members.count
        for step in 0..<points.count {
            guard remaining > 0 else { return }
            let owner = Int(owners[(low + step) % points.count])
            guard !seen[owner] else { continue }
            seen[owner] = true
            remaining -= 1
            guard visit(owner) else { return }
        }
    }

    /// Bounded-loads order for a key: candidates (see ``EndpointCandidate/isCandidate``) whose active count is
    /// under their capacity, in ring order, then the candidates at or over capacity, in ring order.
    ///
    /// Capacity of endpoint i = ⌈factor × (A + 1) × w_i / W⌉, where A is the active connections and W the
    /// effective weight summed over eligible endpoints, w_i its effective weight. With factor ≥ 1 at least one
    /// candidate is under capacity, so no endpoint exceeds ⌈factor × average⌉ (weighted) through hashing.
    /// `endpoints` must be the array this ring was built from (same ids, weights and order).
    func boundedLoadOrder(hash: UInt64, endpoints: [EndpointCandidate], balanceFactor: Double) -> [Int] {
        var totalActive = 0
        var totalWeight = 0.0
        for endpoint in endpoints where endpoint.isEligible {
            totalActive += endpoint.activeConnections
            totalWeight += max(endpoint.effectiveWeight, 0)
        }
        let scale = balanceFactor * Double(totalActive + 1) / max(totalWeight, 1e-9)
        var under: [Int] = []
        var over: [Int] = []
        walk(from: hash) { index in
            let endpoint = endpoints[index]
            guard endpoint.isCandidate else { return true }
            let capacity = (scale * max(endpoint.effectiveWeight, 0)).rounded(.up)
            if Double(endpoint.activeConnections) < capacity { under.append(index) } else { over.append(index) }
            return true
        }
        return under + over
    }
}
