import Foundation
import Testing

@testable import TetherCommand

@Suite struct NodeFailoverReportTests {
    static func report() -> NodeFailoverReport {
        NodeFailoverReport(
            urls: ["ws://127.0.0.1:1/connection/websocket", "ws://127.0.0.1:3/connection/websocket"], apiURL: "http://127.0.0.1:2/api",
            opened: 200, failed: 0, failures: [:], clients: 200, channels: 20, rate: 400, durationSeconds: 8, connectSeconds: 0.1,
            killPID: 42, killAfterSeconds: 3, killed: true, killError: nil, published: 3200, publishAcked: 3199, publishRetried: 7,
            publishFailedAttempts: 9, publishRefused: 0, publishUnacknowledged: 1, publishDuplicateAcks: 2, publishLate: 0,
            publishFailures: ["HTTP 503 code 114: engine unavailable": 9], deliveries: 31_990, lost: 3, lostPublications: 1,
            clientsWithLoss: 3, duplicated: 4, outOfOrder: 5, gaps: 1, gapOffsets: 2, foreign: 0, subscriptionsEnded: 0,
            caughtUp: 200, drainSeconds: 0.01, moved: 200, reconnected: 200, sessionsResumed: 199, notResumed: 0,
            timeToResumeMilliseconds: NodeFailoverTimes([.milliseconds(20), .milliseconds(30)]),
            timeToReconnectMilliseconds: NodeFailoverTimes([.milliseconds(19)]), timeToDetectMilliseconds: NodeFailoverTimes([]),
            nodesAtKill: ["a": 200], nodesAtEnd: ["c": 200], closeCodes: ["1006": 200])
    }

    @Test func jsonIsOneFlatObjectWithSnakeCaseKeys() throws {
        let text = try BenchConsole.json(Self.report())
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["mode"] as? String == "failover")
        #expect(object["lost"] as? Int == 3)
        #expect(object["duplicated"] as? Int == 4)
        #expect(object["out_of_order"] as? Int == 5)
        #expect(object["moved"] as? Int == 200)
        #expect(object["publish_acked"] as? Int == 3199)
        let resume = try #require(object["time_to_resume_ms"] as? [String: Any])
        #expect(resume["p50"] as? Double == 20)
        #expect(resume["max"] as? Double == 30)
        #expect((object["nodes_at_kill"] as? [String: Int]) == ["a": 200])
    }

    @Test func tableNamesTheOutcomeAndTheTimes() {
        let table = Self.report().table
        #expect(table.hasPrefix("tether bench failover  ws://127.0.0.1:1/connection/websocket → ws://127.0.0.1:3/connection/websocket"))
        #expect(table.contains("lost 3 (1 publications, 3 clients)  duplicated 4  out of order 5  gaps 1 (2 offsets)"))
        #expect(table.contains("resume        p50 20 / p99 30 / max 30 ms (2 clients)"))
        #expect(table.contains("detect        -"))
        #expect(table.contains("pid 42 after 3.00 s: sent"))
        #expect(table.contains("9× HTTP 503 code 114: engine unavailable"))
    }
}
