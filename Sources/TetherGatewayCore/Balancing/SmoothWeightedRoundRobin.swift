/// Smooth weighted round robin (the scheme nginx uses): each pick adds every candidate's weight to its current
/// value, takes the largest (the first on a tie) and subtracts the total from it. Weights 5, 1, 1 give
/// a a b a c a a: heavy endpoints are spread out rather than picked in bursts.
///
/// State is keyed by endpoint id, so it survives endpoint list changes for the ids that remain.
struct SmoothWeightedRoundRobin: Sendable {
    private var ids: [String] = []
    private var current: [Double] = []

    /// The next index among candidates (eligible, under `maxConnections`), by effective weight; nil if none.
    mutating func next(_ endpoints: [EndpointCandidate]) -> Int? {
        synchronize(with: endpoints)
        var total = 0.0
        var best: Int?
        for index in endpoints.indices where endpoints[index].isCandidate {
            let weight = max(endpoints[index].effectiveWeight, 0)
            current[index] += weight
            total += weight
            if best.map({ current[index] > current[$0] }) ?? true { best = index }
        }
        if let best { current[best] -= total }
        return best
    }

    private mutating func synchronize(with endpoints: [EndpointCandidate]) {
        guard !ids.elementsEqual(endpoints.lazy.map(\.id)) else { return }
        let previous = Dictionary(zip(ids, current), uniquingKeysWith: { first, _ in first })
        ids = endpoints.map(\.id)
        current = ids.map { previous[$0] ?? 0 }
    }
}
