import Testing

@testable import TetherGatewayCore

@Suite struct ConsistentHashRingTests {
    private let keys = (0..<10_000).map { "session-\($0)" }

    private func endpoints(_ count: Int, weight: Int = 1) -> [EndpointCandidate] {
        (0..<count).map { EndpointCandidate(id: "10.1.0.\($0):9000", weight: weight) }
    }

    /// The first endpoint id for every key, with nothing connected (pure ring placement).
    private func owners(_ list: [EndpointCandidate]) -> [String] {
        var balancer = LoadBalancer(policy: .headerHash(name: "k"), balanceFactor: 1.25, seed: 1)
        return keys.map { list[balancer.select(BalancingRequest(affinityKey: $0), endpoints: list, now: 0).candidates[0]].id }
    }

    @Test func addingOneEndpointMovesAboutOneNthOfKeysAndOnlyToIt() {
        let before = owners(endpoints(10))
        let grown = endpoints(11)
        let after = owners(grown)
        let moved = zip(before, after).filter { $0 != $1 }
        #expect(Double(moved.count) / Double(keys.count) <= 1.5 / 11)
        #expect(moved.count > 0)
        #expect(moved.allSatisfy { $0.1 == grown[10].id })
    }

    @Test func removingOneEndpointMovesOnlyItsKeys() {
        let list = endpoints(10)
        let before = owners(list)
        let removed = list[3].id
        let after = owners(list.filter { $0.id != removed })
        let moved = zip(before, after).filter { $0 != $1 }
        #expect(Double(moved.count) / Double(keys.count) <= 1.5 / 10)
        #expect(moved.allSatisfy { $0.0 == removed })
        #expect(moved.count == before.filter { $0 == removed }.count)
    }

    @Test func placementFollowsConfiguredWeight() {
        var list = endpoints(3)
        for (index, weight) in [1, 2, 3].enumerated() { list[index].weight = weight }
        let result = owners(list)
        for (index, expected) in [1.0 / 6, 2.0 / 6, 3.0 / 6].enumerated() {
            let share = Double(result.filter { $0 == list[index].id }.count) / Double(keys.count)
            #expect(abs(share - expected) / expected < 0.2, "share \(share) for weight \(index + 1)")
        }
    }

    @Test func boundedLoadsCapEveryEndpointEvenForAHotKey() {
        var balancer = LoadBalancer(policy: .headerHash(name: "k"), balanceFactor: 1.25, seed: 1)
        var list = endpoints(8)
        // Half the connections share one key: plain consistent hashing would put all of them on one endpoint.
        for (index, key) in keys.enumerated() {
            let affinity = index.isMultiple(of: 2) ? "hot" : key
            let chosen = balancer.select(BalancingRequest(affinityKey: affinity), endpoints: list, now: 0).candidates[0]
            list[chosen].activeConnections += 1
        }
        let cap = Int((1.25 * Double(keys.count) / 8).rounded(.up))
        #expect(list.allSatisfy { $0.activeConnections <= cap })
        #expect(list.map(\.activeConnections).reduce(0, +) == keys.count)
    }

    @Test func overCapacityEndpointsComeLastInRingOrder() {
        let ring = ConsistentHashRing(members: (0..<4).map { .init(id: "e\($0)", weight: 1) })
        var list = (0..<4).map { EndpointCandidate(id: "e\($0)") }
        let hash = StableHash.xxh64("key")
        let idle = ring.boundedLoadOrder(hash: hash, endpoints: list, balanceFactor: 1.25)
        #expect(Set(idle) == [0, 1, 2, 3])
        list[idle[0]].activeConnections = 10  // capacity = ⌈1.25 × 11 / 4⌉ = 4
        let loaded = ring.boundedLoadOrder(hash: hash, endpoints: list, balanceFactor: 1.25)
        #expect(loaded == Array(idle.dropFirst()) + [idle[0]])
    }

    @Test func pinnedEndpointFailsOverToTheNextInRingAndComesBack() {
        var balancer = LoadBalancer(policy: .cookieHash(name: "sid"), balanceFactor: 1.25, seed: 1)
        var list = endpoints(6)
        for key in keys.prefix(200) {
            let request = BalancingRequest(affinityKey: key)
            let order = balancer.select(request, endpoints: list, now: 0).candidates
            list[order[0]].isEligible = false
            #expect(balancer.select(request, endpoints: list, now: 0).candidates == Array(order.dropFirst()))
            list[order[0]].isEligible = true
            #expect(balancer.select(request, endpoints: list, now: 0).candidates == order)
        }
    }

    @Test func walkVisitsEveryMemberOnceAndStopsOnRequest() {
        let ring = ConsistentHashRing(members: (0..<5).map { .init(id: "m\($0)", weight: $0 + 1) })
        var visited: [Int] = []
        ring.walk(from: 12345) { visited.append($0); return true }
        #expect(visited.sorted() == [0, 1, 2, 3, 4])
        var count = 0
        ring.walk(from: 12345) { _ in count += 1; return count < 2 }
        #expect(count == 2)
    }
}
