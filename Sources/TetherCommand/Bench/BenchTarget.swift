/// Where a benchmark connects: a `ws://` URL on a loopback address.
///
/// Only loopback targets are accepted (127.0.0.0/8, `::1`, `localhost`): the load generator must never
/// point at another machine.
struct BenchTarget: Sendable, CustomStringConvertible {
    var host: String
    var port: Int
    /// Request target, starting with `/` (path and query).
    var path: String

    init(url: String) throws {
        guard url.hasPrefix("ws://") else {
            throw BenchError("--url must start with ws:// (got \(url)); TLS targets are not supported")
        }
        let rest = url.dropFirst("ws://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        var path = String(rest.dropFirst(authority.count))
        if path.isEmpty || path.first == "?" { path = "/" + path }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw BenchError("bad IPv6 address in \(url)") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        let port = portText.map { Int($0) } ?? 80
        guard let port, (1...65535).contains(port) else { throw BenchError("bad port in \(url)") }
        guard Self.isLoopback(String(host)) else {
            throw BenchError("--url must name a loopback address (127.x.x.x, ::1 or localhost), got \(host)")
        }
        self.host = host == "localhost" ? "127.0.0.1" : String(host)
        self.port = port
        self.path = path
    }

    var description: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "ws://\(host):\(self.port)\(self.path)"
    }

    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

/// A benchmark failure with a message for the operator.
struct BenchError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
