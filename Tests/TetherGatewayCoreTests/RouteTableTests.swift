import Testing

@testable import TetherGatewayCore

@Suite struct RouteTableTests {
    private let table = RouteTable(routes: [
        RouteConfiguration(pathPrefix: "/", cluster: "default"),
        RouteConfiguration(pathPrefix: "/ws/", cluster: "any-ws"),
        RouteConfiguration(host: "*.example.com", cluster: "wild"),
        RouteConfiguration(host: "*.eu.example.com", pathPrefix: "/ws", cluster: "wild-eu-ws"),
        RouteConfiguration(host: "Chat.Example.com", cluster: "chat"),
        RouteConfiguration(host: "chat.example.com", pathPrefix: "/ws", cluster: "chat-ws"),
        RouteConfiguration(host: "chat.example.com", pathPrefix: "/ws", cluster: "chat-ws-duplicate"),
        RouteConfiguration(host: "[::1]", pathPrefix: "/v6", cluster: "v6"),
        RouteConfiguration(host: "api.example.com", pathPrefix: "/only", cluster: "api-only"),
    ])

    private func cluster(_ host: String?, _ path: String) -> String? {
        table.match(host: host, path: path)?.cluster
    }

    @Test func exactHostBeatsWildcardBeatsAny() {
        #expect(cluster("chat.example.com", "/") == "chat")
        #expect(cluster("a.example.com", "/") == "wild")
        #expect(cluster("a.b.example.com", "/x") == "wild")
        #expect(cluster("example.com", "/") == "default")
        #expect(cluster("badexample.com", "/") == "default")
        #expect(cluster(nil, "/ws/x") == "any-ws")
    }

    @Test func longerWildcardSuffixIsMoreSpecific() {
        #expect(cluster("x.eu.example.com", "/ws") == "wild-eu-ws")
        #expect(cluster("x.eu.example.com", "/other") == "wild")
    }

    @Test func longestSegmentAwarePrefixWinsWithinAHost() {
        #expect(cluster("chat.example.com", "/ws") == "chat-ws")
        #expect(cluster("chat.example.com", "/ws/room/1") == "chat-ws")
        #expect(cluster("chat.example.com", "/wsx") == "chat")
        #expect(cluster("other.org", "/ws") == "any-ws")
        #expect(cluster("other.org", "/wsx") == "default")
        #expect(cluster("chat.example.com", "/ws?x=/") == "chat-ws")
    }

    @Test func hostIsCaseInsensitiveWithoutPortOrTrailingDot() {
        #expect(cluster("CHAT.example.COM:8443", "/ws") == "chat-ws")
        #expect(cluster("chat.example.com.", "/") == "chat")
        #expect(cluster("[::1]:8080", "/v6/a") == "v6")
    }

    @Test func hostWithoutMatchingPathFallsThroughToLessSpecificHosts() {
        #expect(cluster("api.example.com", "/only/x") == "api-only")
        #expect(cluster("api.example.com", "/elsewhere") == "wild")
    }

    @Test func noRouteMatchesWithoutACatchAll() {
        let narrow = RouteTable(routes: [RouteConfiguration(host: "a.test", pathPrefix: "/ws", cluster: "a")])
        #expect(narrow.match(host: "a.test", path: "/") == nil)
        #expect(narrow.match(host: "b.test", path: "/ws") == nil)
        #expect(narrow.match(host: "a.test", path: "/ws")?.cluster == "a")
    }
}
