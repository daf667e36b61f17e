/// Pure helpers that pull affinity inputs out of a request head. Headers are any sequence of
/// `(name:, value:)` pairs, so NIOHTTP1's `HTTPHeaders` can be passed as it is.
public enum AffinityKeyExtractor {
    /// The request inputs `policy` needs: the hash key (header, query parameter or cookie value) and, for the
    /// sticky policy, the raw sticky cookie.
    public static func balancingRequest<Headers: Sequence>(
        policy: BalancingPolicyConfiguration,
        clientIP: IPAddress?,
        uri: String,
        headers: Headers
    ) -> BalancingRequest where Headers.Element == (name: String, value: String) {
        var request = BalancingRequest(clientIP: clientIP)
        switch policy {
        case .headerHash(let name): request.affinityKey = headerValue(named: name, in: headers)
        case .queryHash(let name): request.affinityKey = queryParameter(named: name, inURI: uri)
        case .cookieHash(let name): request.affinityKey = cookie(named: name, in: headers)
        case .stickyCookie(let configuration): request.stickyCookie = cookie(named: configuration.name, in: headers)
        case .roundRobin, .leastConnections, .random, .clientIPHash: break
        }
        return request
    }

    /// The first value of the header `name` (ASCII case-insensitive), without surrounding spaces and tabs.
    public static func headerValue<Headers: Sequence>(named name: String, in headers: Headers) -> String?
    where Headers.Element == (name: String, value: String) {
        for header in headers where equalsIgnoringASCIICase(header.name, name) {
            return String(trimmed(header.value[...]))
        }
        return nil
    }

    /// The first value of query parameter `name` in a request target such as `/ws?room=a%20b&x=1`.
    /// Names and values are percent-decoded and `+` is read as a space (form encoding); a parameter without
    /// `=` has the empty value. The fragment, if any, is ignored.
    public static func queryParameter(named name: String, inURI uri: String) -> String? {
        let target = uri.prefix { $0 != "#" }
        guard let question = target.firstIndex(of: "?") else { return nil }
        let query = target[target.index(after: question)...]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if percentDecoded(parts[0]) == name {
                return parts.count == 2 ? percentDecoded(parts[1]) : ""
            }
        }
        return nil
    }

    /// The value of cookie `name` from every `Cookie` header in `headers` (first match wins).
    public static func cookie<Headers: Sequence>(named name: String, in headers: Headers) -> String?
    where Headers.Element == (name: String, value: String) {
        for header in headers where equalsIgnoringASCIICase(header.name, "cookie") {
            if let value = cookie(named: name, inCookieHeader: header.value) { return value }
        }
        return nil
    }

    /// The value of cookie `name` in one `Cookie` header value (`a=1; b=2`); surrounding quotes are removed.
    public static func cookie(named name: String, inCookieHeader header: String) -> String? {
        for pair in header.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, trimmed(parts[0]) == name else { continue }
            var value = trimmed(parts[1])
            if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
            return String(value)
        }
        return nil
    }

    /// Percent-decodes `text` and reads `+` as space. Malformed escapes are kept literally and invalid UTF-8
    /// is replaced, so any input gives a stable key.
    static func percentDecoded(_ text: Substring) -> String {
        let input = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == UInt8(ascii: "%"), index + 2 < input.count,
                let high = hexDigit(input[index + 1]), let low = hexDigit(input[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
                continue
            }
            output.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    private static func trimmed(_ text: Substring) -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = text.firstIndex(where: { !isSpace($0) }), let end = text.lastIndex(where: { !isSpace($0) }) else {
            return text[text.endIndex...]
        }
        return text[start...end]
    }

    static func equalsIgnoringASCIICase(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.count == rhs.utf8.count
            && zip(lhs.utf8, rhs.utf8).allSatisfy { a, b in
                a == b || (a | 0x20 == b | 0x20 && (0x61...0x7A).contains(a | 0x20))
            }
    }
}
