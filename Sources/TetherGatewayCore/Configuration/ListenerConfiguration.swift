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
    /// Which header a trusted proxy writes the client address into. Only that one is read, so a client cannot
    /// choose its address through the other. Default `X-Forwarded-For`.
    public var clientIPHeader: ClientIPHeader
    /// Serve TLS (`wss://`, `https://`) with these files. Nil: plain TCP.
    public var tls: ServerTLSConfiguration?
    /// Routes, matched in order of specificity (exact host before wildcard before any; longest path prefix).
    public var routes: [RouteConfiguration]

    public init(
        name: String,
        address: HostAndPort,
        proxyProtocol: Bool = false,
        trustedProxies: [CIDR] = [],
        clientIPHeader: ClientIPHeader = .xForwardedFor,
        tls: ServerTLSConfiguration? = nil,
        routes: [RouteConfiguration] = []
    ) {
        self.name = name
        self.address = address
        self.proxyProtocol = proxyProtocol
        self.trustedProxies = trustedProxies
        self.clientIPHeader = clientIPHeader
        self.tls = tls
        self.routes = routes
    }
}

/// Certificate chain and private key files (PEM) of a TLS listener; re-read on every reload.
public struct ServerTLSConfiguration: Sendable, Equatable {
    public var certificateFile: String
    public var privateKeyFile: String
    /// When set, clients must present a certificate signed by one of these CAs (mutual TLS), as a gateway
    /// in front of another gateway or a service mesh would. Nil: no client certificate is asked for.
    public var clientCAFile: String?

    public init(certificateFile: String, privateKeyFile: String, clientCAFile: String? = nil) {
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.clientCAFile = clientCAFile
    }
}

/// The header that carries the client address from a trusted proxy.
public enum ClientIPHeader: String, Sendable, Equatable, CaseIterable {
    case xForwardedFor = "x-forwarded-for"
    /// RFC 7239 `Forwarded: for=…`.
    case forwarded
}
