/// Decides a request's client IP from the direct peer and forwarding headers, trusting headers only as far
/// as the chain of trusted proxies reaches (nginx's `real_ip_recursive on`).
///
/// - If the peer (socket or PROXY protocol source) is not in `trustedProxies`, it is the client; headers
///   are ignored.
/// - Otherwise the hops of `Forwarded` (RFC 7239 `for=`) are used when any is present, else those of
///   `X-Forwarded-For`. Multiple header lines are read in order, as one list.
/// - The list is walked right to left; each trusted hop is passed, and the first untrusted address is the
///   client. If every hop is trusted, the leftmost is the client.
/// - A hop that is not an address (`unknown`, an obfuscated `_name`, garbage) is never taken as the client
///   and ends the walk: what lies left of it cannot be attributed, so the last address reached (a trusted proxy)
///   is returned. This keeps a client-written header from spoofing its address through such a hop.
///
/// IPv4-mapped IPv6 addresses are returned as IPv4, so per-IP limits see one key per client.
public struct ClientIPResolver: Sendable {
    public var trustedProxies: [CIDR]

    public init(trustedProxies: [CIDR]) {
        self.trustedProxies = trustedProxies
    }

    public func resolve(peer: IPAddress, forwardedFor: [String] = [], forwarded: [String] = []) -> IPAddress {
        var client = Self.normalized(peer)
        guard isTrusted(client) else { return client }
        var hops = forwarded.flatMap(Self.forwardedForHops)
        if hops.isEmpty {
            hops = forwardedFor.flatMap { $0.split(separator: ",").map { Self.node(Self.trimmed($0)) } }
        }
        for hop in hops.reversed() {
            guard let address = hop else { return client }
            client = Self.normalized(address)
            guard isTrusted(client) else { return client }
        }
        return client
    }

    public func isTrusted(_ address: IPAddress) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }

    private static func normalized(_ address: IPAddress) -> IPAddress {
        address.unmappedIPv4 ?? address
    }
}
