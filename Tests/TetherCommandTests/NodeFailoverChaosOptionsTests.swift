import ArgumentParser
import Testing

@testable import TetherCommand

/// `tether bench failover`'s chaos options: `--at` events, `--expect` conditions, the gateway metrics.
@Suite struct NodeFailoverChaosOptionsTests {
    @Test func anEventIsAnOffsetAndAShellCommand() throws {
        let event = try #require(NodeFailoverEvent(argument: "7s=curl -X POST http://127.0.0.1:1/a=b"))
        #expect(event.offset == .seconds(7))
        #expect(event.command == "curl -X POST http://127.0.0.1:1/a=b", "only the first = separates")
        #expect(NodeFailoverEvent(argument: "500ms=true")?.offset == .milliseconds(500))
        #expect(NodeFailoverEvent(argument: "7s=") == nil)
        #expect(NodeFailoverEvent(argument: "soon=true") == nil)
        #expect(NodeFailoverEvent(argument: "true") == nil)
    }

    @Test func eventsMustFallWithinPublishing() throws {
        let valid = NodeFailoverCommandTests.valid
        let command = try NodeFailoverCommand.parse(valid + ["--at", "3s=true", "--at", "9s=false", "--expect", "no-closes", "--expect", "all-resumed"])
        #expect(command.events.map(\.offset) == [.seconds(3), .seconds(9)])
        #expect(command.expectations == [.noCloses, .allResumed])
        #expect(throws: (any Error).self) { try NodeFailoverCommand.parse(valid + ["--at", "10s=true"]) }
        #expect(throws: (any Error).self) { try NodeFailoverCommand.parse(valid + ["--expect", "nothing"]) }
        #expect(throws: (any Error).self) { try NodeFailoverCommand.parse(valid + ["--gateway-metrics", "http://10.0.0.1:9901/metrics"]) }
        #expect(try NodeFailoverCommand.parse(valid + ["--gateway-metrics", "http://127.0.0.1:9901/metrics"]).gatewayMetrics != nil)
    }

    @Test func aCommandsExitStatusIsReported() async {
        #expect(await NodeFailoverEvent.shell("exit 0").status == 0)
        #expect(await NodeFailoverEvent.shell("exit 3").status == 3)
        #expect(await NodeFailoverEvent.shell("kill -9 $$").status == 137)
    }

    @Test func expectationsReadTheReport() {
        var report = NodeFailoverReportTests.report()  // lost 3, duplicated 4, 199 of 200 resumed, no closes counted
        #expect(NodeFailoverExpectation.noCloses.failure(of: report) == nil)
        #expect(NodeFailoverExpectation.exactlyOnce.failure(of: report) == "lost 3, duplicated 4, out of order 5, gaps 1")
        #expect(NodeFailoverExpectation.allResumed.failure(of: report) != nil)
        report.closes = 2
        report.clientsWithClose = 1
        #expect(NodeFailoverExpectation.noCloses.failure(of: report) == "2 connection losses on 1 clients")
        report.lost = 0; report.duplicated = 0; report.outOfOrder = 0; report.gaps = 0; report.sessionsResumed = 200
        #expect(NodeFailoverExpectation.exactlyOnce.failure(of: report) == nil)
        #expect(NodeFailoverExpectation.allResumed.failure(of: report) == nil)
    }

    static let exposition = """
        # HELP tether_gateway_session_rebinds_total Re-binds.
        # TYPE tether_gateway_session_rebinds_total counter
        tether_gateway_session_rebinds_total{cluster="nodes",reason="closed"} 60
        tether_gateway_session_rebinds_total{cluster="nodes",reason="drain"} 70
        tether_gateway_session_rebinds_total{cluster="other",reason="drain"} 5
        tether_gateway_session_migrations_total{cluster="nodes"} 75 1700000000000
        tether_gateway_session_rebind_duration_seconds_bucket{cluster="nodes",le="0.005"} 10
        tether_gateway_session_rebind_duration_seconds_bucket{cluster="nodes",le="0.01"} 50
        tether_gateway_session_rebind_duration_seconds_bucket{cluster="nodes",le="0.1"} 90
        tether_gateway_session_rebind_duration_seconds_bucket{cluster="nodes",le="+Inf"} 100
        tether_gateway_session_rebind_duration_seconds_sum{cluster="nodes"} 2.5
        tether_gateway_session_rebind_duration_seconds_count{cluster="nodes"} 100
        weird{label="a \\"quoted\\" value"} 1
        not a sample
        """

    @Test func samplesAreSummedOverLabels() {
        let text = PrometheusText(Self.exposition)
        #expect(text.total("tether_gateway_session_rebinds_total", by: "reason") == ["closed": 60, "drain": 75])
        #expect(text.total("tether_gateway_session_migrations_total") == 75, "a timestamp is ignored")
        #expect(text.total("absent") == nil)
        #expect(text.samples.first { $0.name == "weird" }?.labels["label"] == "a \"quoted\" value")
    }

    @Test func quantilesInterpolateWithinTheBucketLikeHistogramQuantile() throws {
        let text = PrometheusText(Self.exposition)
        let p50 = try #require(text.quantile(0.5, of: "tether_gateway_session_rebind_duration_seconds"))
        #expect(p50.lower == 0.005 && p50.upper == 0.01)
        #expect(abs(p50.value - 0.01) < 1e-12, "rank 50 is the top of the second bucket")
        let p25 = try #require(text.quantile(0.25, of: "tether_gateway_session_rebind_duration_seconds"))
        #expect(abs(p25.value - (0.005 + 0.005 * 15 / 40)) < 1e-12)
        let p99 = try #require(text.quantile(0.99, of: "tether_gateway_session_rebind_duration_seconds"))
        #expect(p99.value == 0.1 && p99.upper == .infinity, "the +Inf bucket gives the highest finite bound")
        #expect(PrometheusText("").quantile(0.5, of: "x") == nil)
    }

    @Test func missingMetricsAreNotAvailable() {
        let metrics = NodeFailoverGatewayMetrics(url: "http://127.0.0.1:1/metrics", text: "tether_gateway_reloads_total{result=\"ok\"} 1\n")
        #expect(metrics.rebindsByReason == nil && metrics.migrations == nil && metrics.rebindP50 == nil)
        #expect(metrics.lines.contains { $0.contains("re-binds      n/a; migrations n/a") })
        let full = NodeFailoverGatewayMetrics(url: "http://127.0.0.1:1/metrics", text: Self.exposition)
        #expect(full.rebindsByReason == ["closed": 60, "drain": 75])
        #expect(full.rebindP50?.bucketUpperMilliseconds == 10)
        #expect(full.rebindP99?.bucketUpperMilliseconds == nil)
    }
}
