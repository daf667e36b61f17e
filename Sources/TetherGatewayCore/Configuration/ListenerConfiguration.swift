/// One downstream listener: an address, optional TLS and PROXY protocol, and its routes.
public struct ListenerConfiguration: Sendable, Equatable {
    /// Unique name, used in metrics (`listener` label) and logs.
    public var name: String
    /// Where to listen. Port 0 picks a free port (tests).
    public var address: HostAndPort
    /// Expect a PROXY protocol v1 or v2 header before every connection's first byte. Default false.
    public var proxyProtocol: Bool
    /// Peers whose X-Forwarded-For / Forwarded headers are believed (CIDR list). Default empty: the client
    /// IP is the socket peer (or the PROXY protocol source).
    public var trustedProxies: [CIDR]
    /// Serve TLS (`wss://`, `https://`) with these files. Nil: plain TCP.
    public var tls: ServerTLSConfiguration?
    /// Routes, matched in order of specificity (exact host before wildcard before any; longest path prefix).
    public var routes: [RouteConfiguration]

    public init(
        name: String,
        address: HostAndPort,
        proxyProtocol: Bool = false,
        trustedProxies: [CIDR] = [],
        tls: ServerTLSConfiguration? = nil,
        routes: [RouteConfiguration] = []
    ) {
        self.name = name
        self.address = address
        self.proxyProtocol = proxyProtocol
        self.trustedProxies = trustedProxies
        self.tls = tls
        self.routes = routes
    }
}

/// Certificate chain and private key files (PEM) of a TLS listener; re-read on every reload.
public struct ServerTLSConfiguration: Sendable, Equatable {
    public var certificateFile: String
    public var privateKeyFile: String

    public init(certificateFile: String, privateKeyFile: String) {
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
    }
}
