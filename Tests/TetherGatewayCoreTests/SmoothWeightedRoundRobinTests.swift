import Testing

@testable import TetherGatewayCore

@Suite struct SmoothWeightedRoundRobinTests {
    @Test func weightsFiveOneOneGiveTheSmoothSequence() {
        var roundRobin = SmoothWeightedRoundRobin()
        let endpoints = [("a", 5), ("b", 1), ("c", 1)].map { EndpointCandidate(id: $0.0, weight: $0.1) }
        let picks = (0..<14).map { _ in roundRobin.next(endpoints).map { endpoints[$0].id } ?? "-" }
        #expect(picks.joined() == "aabacaa" + "aabacaa")
    }

    @Test func skipsNonCandidatesAndKeepsStateByID() {
        var roundRobin = SmoothWeightedRoundRobin()
        var endpoints = ["a", "b", "c"].map { EndpointCandidate(id: $0) }
        endpoints[1].isEligible = false
        endpoints[2].maxConnections = 1
        endpoints[2].activeConnections = 1
        #expect((0..<3).map { _ in roundRobin.next(endpoints) } == [0, 0, 0])
        endpoints[1].isEligible = true
        endpoints[2].activeConnections = 0
        #expect(Set((0..<3).compactMap { _ in roundRobin.next(endpoints) }) == [0, 1, 2])
        #expect(roundRobin.next(endpoints.map { var e = $0; e.isEligible = false; return e }) == nil)
    }
}
