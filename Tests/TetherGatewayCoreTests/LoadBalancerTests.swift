import Testing

@testable import TetherGatewayCore

@Suite struct LoadBalancerTests {
    private func endpoints(_ weights: [Int]) -> [EndpointCandidate] {
        weights.enumerated().map { EndpointCandidate(id: "10.0.0.\($0.offset + 1):80", weight: $0.element) }
    }

    private func counts(_ picks: [Int], _ size: Int) -> [Int] {
        picks.reduce(into: [Int](repeating: 0, count: size)) { $0[$1] += 1 }
    }

    @Test func roundRobinRespectsWeightsExactlyAndListsTheRestByLoad() {
        var balancer = LoadBalancer(policy: .roundRobin, balanceFactor: 1.25, seed: 1)
        var list = endpoints([5, 1, 1])
        list[2].activeConnections = 3
        let decisions = (0..<700).map { _ in balancer.select(BalancingRequest(), endpoints: list, now: 0) }
        #expect(counts(decisions.map { $0.candidates[0] }, 3) == [500, 100, 100])
        #expect(decisions[0].candidates == [0, 1, 2])
        #expect(decisions[2].candidates == [1, 0, 2])
    }

    @Test func randomRespectsWeightsWithinTolerance() {
        var balancer = LoadBalancer(policy: .random, balanceFactor: 1.25, seed: 7)
        let list = endpoints([1, 3, 6])
        let picks = (0..<10_000).map { _ in balancer.select(BalancingRequest(), endpoints: list, now: 0).candidates[0] }
        let shares = counts(picks, 3).map { Double($0) / 10_000 }
        for (share, expected) in zip(shares, [0.1, 0.3, 0.6]) { #expect(abs(share - expected) < 0.02) }
    }

    @Test func leastConnectionsNeverPicksTheMostLoadedAndOrdersTheRest() {
        var balancer = LoadBalancer(policy: .leastConnections, balanceFactor: 1.25, seed: 3)
        var list = endpoints([1, 1, 1, 1])
        for (index, active) in [9, 0, 4, 2].enumerated() { list[index].activeConnections = active }
        var firsts = Set<Int>()
        for _ in 0..<1000 {
            let candidates = balancer.select(BalancingRequest(), endpoints: list, now: 0).candidates
            firsts.insert(candidates[0])
            #expect(Set(candidates) == [0, 1, 2, 3])
            let rest = candidates.dropFirst().map { list[$0].activeConnections }
            #expect(rest == rest.sorted())
        }
        #expect(!firsts.contains(0))
        #expect(firsts.contains(1))
    }

    @Test func leastConnectionsWeighsBySlowStartEffectiveWeight() {
        var balancer = LoadBalancer(policy: .leastConnections, balanceFactor: 1.25, seed: 3)
        var list = endpoints([1, 1])
        list[1].effectiveWeight = 0.1  // just recovered: 10 % of its weight
        let picks = (0..<200).map { _ in balancer.select(BalancingRequest(), endpoints: list, now: 0).candidates[0] }
        #expect(picks.allSatisfy { $0 == 0 })
    }

    @Test(arguments: [
        BalancingPolicyConfiguration.roundRobin, .leastConnections, .random, .clientIPHash, .headerHash(name: "x"),
        .stickyCookie(StickyCookieConfiguration(secret: String(repeating: "k", count: 32))),
    ])
    func circuitBreakerAndIneligibleEndpointsAreNeverCandidates(_ policy: BalancingPolicyConfiguration) {
        var balancer = LoadBalancer(policy: policy, balanceFactor: 1.25, seed: 5)
        var list = endpoints([1, 1, 1, 1])
        list[0].maxConnections = 2
        list[0].activeConnections = 2
        list[2].isEligible = false
        for index in 0..<200 {
            let request = BalancingRequest(clientIP: IPAddress(bytes: [1, 2, 3, UInt8(index)]), affinityKey: "k\(index)")
            let decision = balancer.select(request, endpoints: list, now: 0)
            #expect(Set(decision.candidates) == [1, 3])
            #expect(decision.candidates.count == 2)
        }
        list[1].isEligible = false
        list[3].isEligible = false
        #expect(balancer.select(BalancingRequest(affinityKey: "k"), endpoints: list, now: 0).candidates.isEmpty)
    }

    @Test func hashPoliciesAreStickyPerKeyAndFallBackWithoutAKey() {
        var balancer = LoadBalancer(policy: .headerHash(name: "x-user"), balanceFactor: 1.25, seed: 1)
        let list = endpoints([1, 1, 1, 1, 1])
        for user in 0..<100 {
            let request = BalancingRequest(affinityKey: "user-\(user)")
            let first = balancer.select(request, endpoints: list, now: 0).candidates
            #expect(first.count == 5)
            for _ in 0..<3 { #expect(balancer.select(request, endpoints: list, now: 0).candidates == first) }
        }
        var loaded = endpoints([1, 1])
        loaded[0].activeConnections = 5
        for key in [nil, ""] as [String?] {
            #expect(balancer.select(BalancingRequest(affinityKey: key), endpoints: loaded, now: 0).candidates == [1, 0])
        }
    }

    @Test func clientIPHashTreatsMappedIPv4AsIPv4AndFallsBackWithoutAnIP() throws {
        var balancer = LoadBalancer(policy: .clientIPHash, balanceFactor: 1.25, seed: 1)
        let list = endpoints([1, 1, 1, 1, 1, 1, 1, 1])
        for last in 0..<50 {
            let v4 = try #require(IPAddress(parsing: "203.0.113.\(last)"))
            let mapped = try #require(IPAddress(parsing: "::ffff:203.0.113.\(last)"))
            #expect(
                balancer.select(BalancingRequest(clientIP: v4), endpoints: list, now: 0)
                    == balancer.select(BalancingRequest(clientIP: mapped), endpoints: list, now: 0))
        }
        #expect(balancer.select(BalancingRequest(), endpoints: list, now: 0).candidates.count == 8)
    }

    @Test func stickyCookiePinsItsEndpointAndFailsOver() throws {
        let configuration = StickyCookieConfiguration(secret: String(repeating: "s", count: 32))
        var balancer = LoadBalancer(policy: .stickyCookie(configuration), balanceFactor: 1.25, seed: 9)
        let codec = try #require(balancer.stickyCookieCodec)
        var list = endpoints([1, 1, 1])
        list[0].activeConnections = 10  // least connections alone would never put it first
        let cookie = codec.encode(endpointID: list[0].id, now: 1000)
        let pinned = balancer.select(BalancingRequest(stickyCookie: cookie), endpoints: list, now: 1000)
        #expect(pinned.candidates.first == 0)
        #expect(pinned.stickyEndpointID == list[0].id)

        list[0].isEligible = false
        let failedOver = balancer.select(BalancingRequest(stickyCookie: cookie), endpoints: list, now: 1000)
        #expect(failedOver.candidates.count == 2 && !failedOver.candidates.contains(0))
        #expect(failedOver.stickyEndpointID == list[0].id)  // the caller sees the pin is broken and re-issues

        list[0].isEligible = true
        #expect(balancer.select(BalancingRequest(stickyCookie: cookie), endpoints: list, now: 1000).candidates.first == 0)
        let forged = balancer.select(BalancingRequest(stickyCookie: cookie + "x"), endpoints: list, now: 1000)
        #expect(forged.stickyEndpointID == nil)
        #expect(forged.candidates.first != 0)
    }
}
