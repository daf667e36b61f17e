/// A listener's routes, indexed for matching a request's `Host` and path.
///
/// Precedence: an exact host beats a wildcard host (`*.example.com`; a longer suffix beats a shorter one),
/// which beats a route without host; within that tier the longest matching path prefix wins, and on a full tie
/// the route listed first. Prefixes are segment-aware: `/ws` matches `/ws`, `/ws/` and `/ws/x` but not `/wsx`;
/// a trailing `/` in a prefix is ignored (`/ws/` behaves as `/ws`). Hosts compare case-insensitively, with the
/// port, the brackets of an IPv6 literal and a trailing dot removed. Paths compare byte for byte (no
/// percent-decoding); any query or fragment in `path` is ignored.
public struct RouteTable: Sendable {
    private struct Entry: Sendable {
        var route: RouteConfiguration
        var prefix: String
    }

    private let exact: [String: [Entry]]
    /// Wildcard routes keyed by their suffix with its leading dot (`.example.com`), longest suffix first.
    private let wildcard: [(suffix: String, entries: [Entry])]
    private let any: [Entry]

    public init(routes: [RouteConfiguration]) {
        var exact: [String: [Entry]] = [:]
        var wildcard: [String: [Entry]] = [:]
        var any: [Entry] = []
        for route in routes {
            let entry = Entry(route: route, prefix: Self.normalizedPrefix(route.pathPrefix))
            guard let host = route.host.map(Self.normalizedHost), !host.isEmpty else {
                any.append(entry)
                continue
            }
            if host.hasPrefix("*.") {
                wildcard[String(host.dropFirst()), default: []].append(entry)
            } else {
                exact[host, default: []].append(entry)
            }
        }
        self.exact = exact
        self.wildcard = wildcard.map { ($0.key, $0.value) }.sorted { $0.suffix.count > $1.suffix.count }
        self.any = any
    }

    /// The route for a request with `Host` value `host` (nil when absent) and request target `path`.
    public func match(host: String?, path: String) -> RouteConfiguration? {
        let path = path.prefix { $0 != "?" && $0 != "#" }
        if let host = host.map(Self.normalizedHost), !host.isEmpty {
            if let entries = exact[host], let route = Self.longestPrefix(entries, path) { return route }
            for (suffix, entries) in wildcard where host.count > suffix.count && host.hasSuffix(suffix) {
                if let route = Self.longestPrefix(entries, path) { return route }
            }
        }
        return Self.longestPrefix(any, path)
    }

    private static func longestPrefix(_ entries: [Entry], _ path: Substring) -> RouteConfiguration? {
        var best: Entry?
        for entry in entries where matches(prefix: entry.prefix, path: path) {
            if let current = best, current.prefix.count >= entry.prefix.count { continue }
            best = entry
        }
        return best?.route
    }

    private static func matches(prefix: String, path: Substring) -> Bool {
        if prefix == "/" { return true }
        guard path.hasPrefix(prefix) else { return false }
        let rest = path.dropFirst(prefix.count)
        return rest.isEmpty || rest.first == "/"
    }

    private static func normalizedPrefix(_ prefix: String) -> String {
        var prefix = prefix.hasPrefix("/") ? prefix : "/" + prefix
        while prefix.count > 1, prefix.hasSuffix("/") { prefix.removeLast() }
        return prefix
    }

    /// Lower-cased host without port, IPv6 brackets or trailing dot (`Chat.Example.com:8443` → `chat.example.com`).
    static func normalizedHost(_ host: String) -> String {
        var host = Substring(host)
        if host.hasPrefix("[") {
            host = host.dropFirst().prefix { $0 != "]" }
        } else if let colon = host.firstIndex(of: ":"), host[host.index(after: colon)...].allSatisfy(\.isNumber) {
            host = host[..<colon]
        }
        if host.hasSuffix(".") { host = host.dropLast() }
        return host.lowercased()
    }
}
