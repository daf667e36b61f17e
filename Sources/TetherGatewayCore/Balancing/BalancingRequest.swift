/// What the balancer knows about a request: the resolved client IP and the affinity inputs the route's policy
/// asks for (extracted by the caller with ``AffinityKeyExtractor``).
public struct BalancingRequest: Sendable {
    /// The client IP after PROXY protocol / trusted forwarding headers (``ClientIPResolver``).
    public var clientIP: IPAddress?
    /// The header, query parameter or cookie value of a hash policy. Nil or empty: no key, so the request is
    /// placed by least connections.
    public var affinityKey: String?
    /// Raw value of the gateway's sticky cookie, if the client sent one.
    public var stickyCookie: String?

    public init(clientIP: IPAddress? = nil, affinityKey: String? = nil, stickyCookie: String? = nil) {
        self.clientIP = clientIP
        self.affinityKey = affinityKey
        self.stickyCookie = stickyCookie
    }
}
