/// An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `::1/128`); a bare address means a single host.
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    /// Parses `address/prefix` or a bare address. Returns nil for a malformed address or prefix.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parsing: String(parts[0])) else { return nil }
        let maxPrefix = address.bytes.count * 8
        var prefix = maxPrefix
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...maxPrefix).contains(p) else { return nil }
            prefix = p
        }
        self.network = address.masked(toPrefix: prefix)
        self.prefixLength = prefix
    }

    /// True when `address` lies in this network. An IPv4-mapped IPv6 address matches IPv4 networks.
    public func contains(_ address: IPAddress) -> Bool {
        let candidate = address.unmappedIPv4 ?? address
        guard candidate.bytes.count == network.bytes.count else { return false }
        return candidate.masked(toPrefix: prefixLength) == network
    }

    public var description: String { "\(network)/\(prefixLength)" }
}
