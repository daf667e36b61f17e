import Foundation
import TetherGatewayCore

/// The admin API's routes, independent of the socket that carries them:
///
/// | method + path | answer |
/// |---|---|
/// | `GET /health` | `200 ok` |
/// | `GET /metrics` | Prometheus text exposition |
/// | `GET /clusters` | every cluster with its endpoints' state, health and connection counts (JSON) |
/// | `GET /clusters/{cluster}` | one cluster |
/// | `POST /clusters/{cluster}/endpoints/{host:port}/{ready,drain,maint}` | sets the endpoint's state |
/// | `POST /reload` | re-reads the configuration file (same as SIGHUP) |
///
/// When a token is configured, every route but `/health` and `/metrics` needs `Authorization: Bearer <token>`.
public struct AdminAPI: Sendable {
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var contentType: String
        public var body: String
    }

    /// The outcome of a reload request.
    public struct ReloadResult: Sendable {
        public var ok: Bool
        public var message: String
        public init(ok: Bool, message: String) {
            self.ok = ok
            self.message = message
        }
    }

    let gateway: Gateway
    let token: String?
    let metricsText: @Sendable () -> String
    let reload: @Sendable () async -> ReloadResult

    public init(
        gateway: Gateway,
        token: String?,
        metricsText: @escaping @Sendable () -> String,
        reload: @escaping @Sendable () async -> ReloadResult
    ) {
        self.gateway = gateway
        self.token = token
        self.metricsText = metricsText
        self.reload = reload
    }

    public func handle(method: String, path: String, authorization: String?) async -> Response {
        let segments = path.split(separator: "?", maxSplits: 1).first.map { $0.split(separator: "/").map(String.init) } ?? []
        switch (method, segments) {
        case ("GET", ["health"]):
            return .init(status: 200, contentType: "text/plain", body: "ok\n")
        case ("GET", ["metrics"]):
            return .init(status: 200, contentType: "text/plain; version=0.0.4", body: metricsText())
        case (_, ["health"]), (_, ["metrics"]):
            return Self.json(405, ["error": "method not allowed"])
        default:
            break
        }
        if let token, !Self.bearerMatches(authorization, token: token) {
            return Self.json(401, ["error": "missing or wrong bearer token"])
        }
        switch (method, segments) {
        case ("GET", ["clusters"]):
            return Self.json(200, gateway.clusterStatuses())
        case ("GET", let s) where s.count == 2 && s[0] == "clusters":
            guard let cluster = gateway.clusterStatuses().first(where: { $0.name == s[1] }) else {
                return Self.json(404, ["error": "no cluster named \(s[1])"])
            }
            return Self.json(200, cluster)
        case ("POST", let s) where s.count == 5 && s[0] == "clusters" && s[2] == "endpoints":
            guard let state = EndpointAdminState(rawValue: s[4]) else {
                return Self.json(400, ["error": "unknown state \(s[4]); expected ready, drain or maint"])
            }
            let endpoint = s[3].removingPercentEncoding ?? s[3]
            switch await gateway.setEndpointState(cluster: s[1], endpoint: endpoint, to: state) {
            case .noSuchCluster:
                return Self.json(404, ["error": "no cluster named \(s[1])"])
            case .noSuchEndpoint:
                return Self.json(404, ["error": "cluster \(s[1]) has no endpoint \(endpoint)"])
            case .changed(let draining):
                return Self.json(200, StateChange(cluster: s[1], endpoint: endpoint, state: state, drainingTunnels: draining))
            }
        case ("POST", ["reload"]):
            let result = await reload()
            return Self.json(result.ok ? 200 : 400, ReloadReply(ok: result.ok, message: result.message))
        case (_, let s) where Self.isRoute(s):
            return Self.json(405, ["error": "method not allowed"])
        default:
            return Self.json(404, ["error": "no such admin route"])
        }
    }

    /// `Authorization: Bearer <token>` (scheme case-insensitive), compared in constant time.
    static func bearerMatches(_ header: String?, token: String) -> Bool {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return false }
        let given = Array(header.dropFirst(7).utf8)
        let expected = Array(token.utf8)
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for index in 0..<expected.count {
            difference |= expected[index] ^ (index < given.count ? given[index] : 0)
        }
        return difference == 0
    }

    /// Paths that exist for some method: any other method gets 405 rather than 404.
    private static func isRoute(_ s: [String]) -> Bool {
        s == ["clusters"] || s == ["reload"] || (s.count == 2 && s[0] == "clusters")
            || (s.count == 5 && s[0] == "clusters" && s[2] == "endpoints")
    }

    private struct ReloadReply: Encodable {
        var ok: Bool
        var message: String
    }

    private struct StateChange: Encodable {
        var cluster: String
        var endpoint: String
        var state: EndpointAdminState
        var drainingTunnels: Int
    }

    private static func json(_ status: Int, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let body = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return Response(status: status, contentType: "application/json", body: body + "\n")
    }
}
