/// What a PROXY protocol header said about the connection it precedes.
public struct ProxyHeader: Sendable, Equatable {
    /// 1 (text) or 2 (binary).
    public var version: Int
    /// The original client address. Nil when the connection's own addresses apply: v1 `UNKNOWN`, v2 `LOCAL`
    /// (a health check by the proxy itself), or a v2 family/transport other than TCP over IPv4/IPv6.
    public var source: IPAddress?
    public var sourcePort: Int?
    public var destination: IPAddress?
    public var destinationPort: Int?
    /// Length of the whole header; the application's bytes start right after it.
    public var consumedBytes: Int

    public init(
        version: Int,
        source: IPAddress? = nil,
        sourcePort: Int? = nil,
        destination: IPAddress? = nil,
        destinationPort: Int? = nil,
        consumedBytes: Int
    ) {
        self.version = version
        self.source = source
        self.sourcePort = sourcePort
        self.destination = destination
        self.destinationPort = destinationPort
        self.consumedBytes = consumedBytes
    }
}
