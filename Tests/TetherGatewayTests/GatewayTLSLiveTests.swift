import Logging
import NIOSSL
import Testing
import TetherGateway
import TetherGatewayCore
import TetherTesting

/// `wss://` to clients, and mutual TLS from one gateway to another (as a service mesh would give).
@Suite struct GatewayTLSLiveTests {
    static let fixtures = String(#filePath.prefix(upTo: #filePath.lastIndex(of: "/")!)) + "/Fixtures/tls/"

    static var clientTLS: TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(fixtures + "ca.pem")
        return tls
    }

    static func serverTLS(requireClientCertificate: Bool) -> ServerTLSConfiguration {
        ServerTLSConfiguration(
            certificateFile: fixtures + "server.pem",
            privateKeyFile: fixtures + "server.key",
            clientCAFile: requireClientCertificate ? fixtures + "ca.pem" : nil
        )
    }

    @Test func servesWSSAndMarksForwardedProtoAndCookies() async throws {
        let sticky = StickyCookieConfiguration(secret: String(repeating: "s", count: 32))
        let harness = try await GatewayHarness.start(servers: 1) {
            $0.listeners[0].tls = Self.serverTLS(requireClientCertificate: false)
            $0.clusters[0].policy = .stickyCookie(sticky)
        }
        defer { Task { await harness.stop() } }
        let client = try await WebSocketTestClient.connect(port: harness.port, tls: Self.clientTLS, tlsServerHostname: "localhost")
        try await client.send(text: "over tls")
        #expect(try await client.receive() == .text("over tls"))
        #expect(harness.servers[0].lastUpgradeHeader("X-Forwarded-Proto") == "https")
        #expect(client.responseHeader("Set-Cookie")?.contains("; Secure") == true)
        try await client.close()
    }

    @Test func mutualTLSToUpstreamGateway() async throws {
        // Inner gateway: TLS listener that requires a client certificate from the test CA.
        let inner = try await GatewayHarness.start(servers: 1) { $0.listeners[0].tls = Self.serverTLS(requireClientCertificate: true) }
        defer { Task { await inner.stop() } }
        func outer(withClientCertificate: Bool) async throws -> Gateway {
            let tls = UpstreamTLSConfiguration(
                caFile: Self.fixtures + "ca.pem",
                certificateFile: withClientCertificate ? Self.fixtures + "client.pem" : nil,
                privateKeyFile: withClientCertificate ? Self.fixtures + "client.key" : nil,
                serverName: "localhost"
            )
            let configuration = GatewayConfiguration(
                listeners: [ListenerConfiguration(name: "main", address: HostAndPort(host: "127.0.0.1", port: 0), routes: [RouteConfiguration(cluster: "inner")])],
                clusters: [
                    ClusterConfiguration(
                        name: "inner",
                        endpoints: [EndpointConfiguration(address: HostAndPort(host: "127.0.0.1", port: inner.port))],
                        retries: 0,
                        upstreamTLS: tls
                    )
                ]
            )
            var logger = Logger(label: "test.outer")
            logger.logLevel = .critical
            let gateway = Gateway(configuration: configuration, logger: logger)
            try await gateway.start()
            return gateway
        }
        let trusted = try await outer(withClientCertificate: true)
        let client = try await WebSocketTestClient.connect(port: trusted.localAddress(ofListener: "main")!.port!)
        try await client.send(text: "through two gateways")
        #expect(try await client.receive() == .text("through two gateways"))
        try await client.close()
        await trusted.shutdown()

        let anonymous = try await outer(withClientCertificate: false)
        do {
            _ = try await WebSocketTestClient.connect(port: anonymous.localAddress(ofListener: "main")!.port!)
            Issue.record("an upstream that requires a client certificate must refuse the handshake")
        } catch let error as WebSocketTestClientError {
            #expect(error.status == 502)
        }
        await anonymous.shutdown()
    }
}
