import Testing
import TetherGatewayCore

@Suite("Session rebalance plan and handshake values")
struct SessionRebalancePlanTests {
    @Test("an added endpoint: the loaded one gives down to the average, rounded up")
    func scaleOut() {
        let moves = SessionRebalancePlan.moves(counts: ["a": 200], eligible: ["a", "b"], balanceFactor: 1.25)
        #expect(moves == [.init(endpoint: "a", sessions: 100)])
        let three = SessionRebalancePlan.moves(counts: ["a": 100, "b": 100], eligible: ["a", "b", "c"], balanceFactor: 1.25)
        #expect(three == [.init(endpoint: "a", sessions: 33), .init(endpoint: "b", sessions: 33)])  // 100 > 1.25 × 66.7
        let within = SessionRebalancePlan.moves(counts: ["a": 80, "b": 70, "c": 50], eligible: ["a", "b", "c"], balanceFactor: 1.25)
        #expect(within.isEmpty)  // 80 is not above 1.25 × 66.7
        #expect(SessionRebalancePlan.receivers(counts: ["a": 150, "b": 50], eligible: ["a", "b", "c"]) == ["b", "c"])
        let skewed = SessionRebalancePlan.moves(counts: ["a": 150, "b": 50, "c": 0], eligible: ["a", "b", "c"], balanceFactor: 1.25)
        #expect(skewed == [.init(endpoint: "a", sessions: 83)])
    }

    @Test("balanced, empty, a single endpoint, and sessions on ineligible endpoints")
    func edges() {
        #expect(SessionRebalancePlan.moves(counts: ["a": 10, "b": 11], eligible: ["a", "b"], balanceFactor: 1.25).isEmpty)
        #expect(SessionRebalancePlan.moves(counts: [:], eligible: ["a", "b"], balanceFactor: 1.25).isEmpty)
        #expect(SessionRebalancePlan.moves(counts: ["a": 50], eligible: ["a"], balanceFactor: 1.25).isEmpty)
        // Sessions on a drained endpoint count in the average but are not moved by the rebalance.
        let moves = SessionRebalancePlan.moves(counts: ["a": 90, "b": 10, "drained": 40], eligible: ["a", "b"], balanceFactor: 1.25)
        #expect(moves == [.init(endpoint: "a", sessions: 20)])
    }

    @Test("Sec-WebSocket-Accept matches RFC 6455's example; keys are 16 random bytes in base64")
    func handshake() {
        #expect(WebSocketHandshake.accept(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        let key = WebSocketHandshake.makeKey()
        #expect(WebSocketHandshake.isValidKey(key))
        #expect(key != WebSocketHandshake.makeKey())
        #expect(!WebSocketHandshake.isValidKey("short=="))
        #expect(!WebSocketHandshake.isValidKey("dGhlIHNhbXBsZSBub25jZQ"))
        #expect(!WebSocketHandshake.isValidKey("dGhlIHNhbXBsZSBub25j*Q=="))
    }
}
