import NIOCore

extension SocketAddress {
    /// `127.0.0.1:8080` or `[::1]:8080`, for logs and messages a person reads.
    public var displayHostPort: String {
        let host = ipAddress ?? "?"
        let port = port.map(String.init) ?? "?"
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
