import Testing

@testable import TetherGatewayCore

@Suite struct AffinityKeyExtractorTests {
    private let headers: [(name: String, value: String)] = [
        ("Host", "chat.example.com"),
        ("X-User", "  alice \t"),
        ("x-user", "bob"),
        ("Cookie", "theme=dark; sid=\"s-1\""),
        ("cookie", "sid=s-2; tether_sticky=abc.def"),
    ]

    @Test func headerValueIsCaseInsensitiveTrimmedAndFirst() {
        #expect(AffinityKeyExtractor.headerValue(named: "x-USER", in: headers) == "alice")
        #expect(AffinityKeyExtractor.headerValue(named: "x-missing", in: headers) == nil)
        #expect(AffinityKeyExtractor.headerValue(named: "x-use", in: headers) == nil)
    }

    @Test(arguments: [
        ("/ws?room=a%20b&x=1", "room", "a b"),
        ("/ws?x=1&room=a+b#frag", "room", "a b"),
        ("/ws?r%6Fom=%E2%9C%93", "room", "✓"),
        ("/ws?room&x=1", "room", ""),
        ("/ws?room=first&room=second", "room", "first"),
        ("/ws?room=%zz%2", "room", "%zz%2"),
        ("/ws?room=1=2", "room", "1=2"),
    ])
    func queryParameterIsPercentDecoded(_ uri: String, _ name: String, _ expected: String) {
        #expect(AffinityKeyExtractor.queryParameter(named: name, inURI: uri) == expected)
    }

    @Test func missingQueryParameters() {
        #expect(AffinityKeyExtractor.queryParameter(named: "room", inURI: "/ws") == nil)
        #expect(AffinityKeyExtractor.queryParameter(named: "room", inURI: "/ws?rooms=1") == nil)
        #expect(AffinityKeyExtractor.queryParameter(named: "room", inURI: "/ws#?room=1") == nil)
    }

    @Test func cookiesAcrossHeadersWithQuotesRemoved() {
        #expect(AffinityKeyExtractor.cookie(named: "sid", in: headers) == "s-1")
        #expect(AffinityKeyExtractor.cookie(named: "tether_sticky", in: headers) == "abc.def")
        #expect(AffinityKeyExtractor.cookie(named: "theme", inCookieHeader: "a=1;theme=light ;b") == "light")
        #expect(AffinityKeyExtractor.cookie(named: "the", in: headers) == nil)
    }

    @Test func balancingRequestTakesWhatThePolicyNeeds() {
        let ip = IPAddress(parsing: "192.0.2.1")
        let uri = "/ws?room=lobby"
        func request(_ policy: BalancingPolicyConfiguration) -> BalancingRequest {
            AffinityKeyExtractor.balancingRequest(policy: policy, clientIP: ip, uri: uri, headers: headers)
        }
        #expect(request(.headerHash(name: "X-User")).affinityKey == "alice")
        #expect(request(.queryHash(name: "room")).affinityKey == "lobby")
        #expect(request(.cookieHash(name: "sid")).affinityKey == "s-1")
        let sticky = request(.stickyCookie(.init(secret: String(repeating: "k", count: 32))))
        #expect(sticky.stickyCookie == "abc.def" && sticky.affinityKey == nil)
        #expect(request(.clientIPHash).clientIP == ip && request(.clientIPHash).affinityKey == nil)
    }
}
