import Foundation
import Synchronization
import Testing
import TetherGateway
import TetherGatewayCore
import TetherTesting

/// The admin API's routes against a started gateway (port 0 listener, real echo endpoints), without the HTTP
/// server in front: each test calls ``AdminAPI/handle(method:path:authorization:)`` and checks status and body.
@Suite struct AdminAPITests {
    /// Counts reload requests and answers with a fixed result.
    private final class ReloadStub: Sendable {
        private let calls = Mutex(0)
        let result: AdminAPI.ReloadResult

        init(ok: Bool, message: String) {
            result = AdminAPI.ReloadResult(ok: ok, message: message)
        }

        var count: Int { calls.withLock { $0 } }

        func reload() -> AdminAPI.ReloadResult {
            calls.withLock { $0 += 1 }
            return result
        }
    }

    private static func api(_ harness: GatewayHarness, token: String? = nil, reload: ReloadStub = ReloadStub(ok: true, message: "applied")) -> AdminAPI {
        AdminAPI(gateway: harness.gateway, token: token, metricsText: { "tether_test_metric 1\n" }, reload: { reload.reload() })
    }

    private static func json(_ response: AdminAPI.Response) throws -> Any {
        #expect(response.contentType == "application/json")
        return try JSONSerialization.jsonObject(with: Data(response.body.utf8))
    }

    private static func object(_ response: AdminAPI.Response) throws -> [String: Any] {
        try #require(try json(response) as? [String: Any])
    }

    @Test func healthAndMetricsAnswerWithoutAToken() async throws {
        let harness = try await GatewayHarness.start(servers: 1)
        defer { Task { await harness.stop() } }
        let api = Self.api(harness, token: "s3cret")
        let health = await api.handle(method: "GET", path: "/health", authorization: nil)
        #expect(health.status == 200)
        #expect(health.body == "ok\n")
        let metrics = await api.handle(method: "GET", path: "/metrics", authorization: nil)
        #expect(metrics.status == 200)
        #expect(metrics.contentType.hasPrefix("text/plain"))
        #expect(metrics.body == "tether_test_metric 1\n")
    }

    @Test func clustersListsEveryEndpointWithItsState() async throws {
        let harness = try await GatewayHarness.start(servers: 2) {
            $0.clusters[0].policy = .leastConnections
            $0.clusters[0].endpoints[0].maxConnections = 7
            $0.clusters[0].endpoints[1].weight = 3
        }
        defer { Task { await harness.stop() } }
        let tunnel = try await harness.connect()
        let api = Self.api(harness)
        let response = await api.handle(method: "GET", path: "/clusters", authorization: nil)
        #expect(response.status == 200)
        let clusters = try #require(try Self.json(response) as? [[String: Any]])
        #expect(clusters.count == 1)
        let cluster = try #require(clusters.first)
        #expect(Set(cluster.keys) == ["name", "policy", "endpoints"])
        #expect(cluster["name"] as? String == "app")
        #expect(cluster["policy"] as? String == "least_connections")
        let endpoints = try #require(cluster["endpoints"] as? [[String: Any]])
        #expect(endpoints.compactMap { $0["id"] as? String } == [harness.endpointID(0), harness.endpointID(1)])
        let common: Set<String> = ["id", "state", "healthy", "ejected", "eligible", "weight", "effective_weight", "active_connections", "total_connections"]
        #expect(Set(endpoints[0].keys) == common.union(["max_connections"]))
        #expect(Set(endpoints[1].keys) == common, "an endpoint without a circuit breaker has no max_connections")
        #expect(endpoints[0]["max_connections"] as? Int == 7)
        #expect(endpoints[1]["weight"] as? Int == 3)
        #expect(endpoints.allSatisfy { $0["state"] as? String == "ready" && $0["healthy"] as? Bool == true && $0["eligible"] as? Bool == true })
        #expect(endpoints.compactMap { $0["active_connections"] as? Int }.reduce(0, +) == 1, "the open tunnel is counted")

        let one = await api.handle(method: "GET", path: "/clusters/app", authorization: nil)
        #expect(one.status == 200)
        #expect(try Self.object(one)["name"] as? String == "app")
        #expect(await api.handle(method: "GET", path: "/clusters?pretty=1", authorization: nil).status == 200, "a query string is ignored")
        try await tunnel.close()
    }

    @Test func unknownClusterAndRouteAre404() async throws {
        let harness = try await GatewayHarness.start(servers: 1)
        defer { Task { await harness.stop() } }
        let api = Self.api(harness)
        let missing = await api.handle(method: "GET", path: "/clusters/x", authorization: nil)
        #expect(missing.status == 404)
        #expect(try Self.object(missing)["error"] as? String == "no cluster named x")
        #expect(await api.handle(method: "GET", path: "/nothing/here", authorization: nil).status == 404)
        #expect(await api.handle(method: "GET", path: "/", authorization: nil).status == 404)
    }

    @Test func endpointStateChangesThroughReadyDrainAndMaint() async throws {
        let harness = try await GatewayHarness.start(servers: 1) { $0.clusters[0].drainWindow = .milliseconds(50) }
        defer { Task { await harness.stop() } }
        let api = Self.api(harness)
        let id = harness.endpointID(0)
        let client = try await harness.connect()
        #expect(await eventually { await harness.gateway.tunnelCount() == 1 })

        func state() -> EndpointAdminState? { harness.gateway.clusterStatuses().first?.endpoints.first?.state }

        let drain = await api.handle(method: "POST", path: "/clusters/app/endpoints/\(id)/drain", authorization: nil)
        #expect(drain.status == 200)
        let body = try Self.object(drain)
        #expect(body["cluster"] as? String == "app")
        #expect(body["endpoint"] as? String == id)
        #expect(body["state"] as? String == "drain")
        #expect(body["draining_tunnels"] as? Int == 1)
        #expect(state() == .drain)
        #expect(try await client.receive(timeout: .seconds(5)) == .close(code: 1012, reason: "endpoint draining"))

        let maint = await api.handle(method: "POST", path: "/clusters/app/endpoints/\(id)/maint", authorization: nil)
        #expect(maint.status == 200)
        #expect(try Self.object(maint)["draining_tunnels"] as? Int == 0)
        #expect(state() == .maint)

        // The endpoint id may come percent-encoded (the colon).
        let ready = await api.handle(method: "POST", path: "/clusters/app/endpoints/\(id.replacingOccurrences(of: ":", with: "%3A"))/ready", authorization: nil)
        #expect(ready.status == 200)
        #expect(try Self.object(ready)["state"] as? String == "ready")
        #expect(state() == .ready)
    }

    @Test func badEndpointStateRequestsAreRefused() async throws {
        let harness = try await GatewayHarness.start(servers: 1)
        defer { Task { await harness.stop() } }
        let api = Self.api(harness)
        let id = harness.endpointID(0)
        let unknownState = await api.handle(method: "POST", path: "/clusters/app/endpoints/\(id)/pause", authorization: nil)
        #expect(unknownState.status == 400)
        #expect(try Self.object(unknownState)["error"] as? String == "unknown state pause; expected ready, drain or maint")
        let unknownEndpoint = await api.handle(method: "POST", path: "/clusters/app/endpoints/127.0.0.1:1/drain", authorization: nil)
        #expect(unknownEndpoint.status == 404)
        #expect(try Self.object(unknownEndpoint)["error"] as? String == "cluster app has no endpoint 127.0.0.1:1")
        let unknownCluster = await api.handle(method: "POST", path: "/clusters/nope/endpoints/\(id)/drain", authorization: nil)
        #expect(unknownCluster.status == 404)
        #expect(harness.gateway.clusterStatuses().first?.endpoints.first?.state == .ready, "nothing changed")
    }

    @Test func aConfiguredTokenGuardsEveryRouteButHealthAndMetrics() async throws {
        let harness = try await GatewayHarness.start(servers: 1)
        defer { Task { await harness.stop() } }
        let reload = ReloadStub(ok: true, message: "applied")
        let api = Self.api(harness, token: "s3cret", reload: reload)
        let id = harness.endpointID(0)
        for authorization in [nil, "Bearer wrong", "s3cret", "Basic czNjcmV0", "Bearer s3cret "] as [String?] {
            #expect(await api.handle(method: "GET", path: "/clusters", authorization: authorization).status == 401, "\(authorization ?? "none")")
            #expect(await api.handle(method: "GET", path: "/clusters/app", authorization: authorization).status == 401)
            #expect(await api.handle(method: "POST", path: "/clusters/app/endpoints/\(id)/drain", authorization: authorization).status == 401)
            #expect(await api.handle(method: "POST", path: "/reload", authorization: authorization).status == 401)
        }
        #expect(reload.count == 0, "an unauthorised reload never runs")
        #expect(harness.gateway.clusterStatuses().first?.endpoints.first?.state == .ready, "an unauthorised drain never runs")
        #expect(await api.handle(method: "GET", path: "/clusters", authorization: "Bearer s3cret").status == 200)
        #expect(await api.handle(method: "POST", path: "/reload", authorization: "Bearer s3cret").status == 200)
        #expect(reload.count == 1)
        #expect(await api.handle(method: "GET", path: "/health", authorization: nil).status == 200)
        #expect(await api.handle(method: "GET", path: "/metrics", authorization: "Bearer wrong").status == 200)
    }

    @Test func noTokenMeansNoAuthorizationNeeded() async throws {
        let harness = try await GatewayHarness.start(servers: 1)
        defer { Task { await harness.stop() } }
        let api = Self.api(harness, token: nil)
        #expect(await api.handle(method: "GET", path: "/clusters", authorization: nil).status == 200)
        #expect(await api.handle(method: "GET", path: "/clusters", authorization: "Bearer anything").status == 200)
    }

    @Test func reloadCallsTheClosureAndMapsItsResult() async throws {
        let harness = try await GatewayHarness.start(servers: 1)
        defer { Task { await harness.stop() } }
        let good = ReloadStub(ok: true, message: "applied 1 listener")
        let applied = await Self.api(harness, reload: good).handle(method: "POST", path: "/reload", authorization: nil)
        #expect(good.count == 1)
        #expect(applied.status == 200)
        let appliedBody = try Self.object(applied)
        #expect(appliedBody["ok"] as? Bool == true)
        #expect(appliedBody["message"] as? String == "applied 1 listener")

        let bad = ReloadStub(ok: false, message: "clusters[0].endpoints: must not be empty")
        let refused = await Self.api(harness, reload: bad).handle(method: "POST", path: "/reload", authorization: nil)
        #expect(bad.count == 1)
        #expect(refused.status == 400)
        let refusedBody = try Self.object(refused)
        #expect(refusedBody["ok"] as? Bool == false)
        #expect(refusedBody["message"] as? String == "clusters[0].endpoints: must not be empty")
    }

    @Test func aKnownPathWithTheWrongMethodIs405() async throws {
        let harness = try await GatewayHarness.start(servers: 1)
        defer { Task { await harness.stop() } }
        let reload = ReloadStub(ok: true, message: "applied")
        let id = harness.endpointID(0)
        for token in [nil, "s3cret"] as [String?] {
            let api = Self.api(harness, token: token, reload: reload)
            let auth = token.map { "Bearer \($0)" }
            for (method, path) in [
                ("GET", "/reload"), ("DELETE", "/clusters"), ("PUT", "/clusters/app"),
                ("GET", "/clusters/app/endpoints/\(id)/drain"), ("POST", "/health"), ("DELETE", "/metrics"),
            ] {
                let response = await api.handle(method: method, path: path, authorization: auth)
                #expect(response.status == 405, "\(method) \(path)")
            }
        }
        #expect(reload.count == 0)
        #expect(harness.gateway.clusterStatuses().first?.endpoints.first?.state == .ready)
    }
}
