extension ClientIPResolver {
    /// The `for=` node of each element of one `Forwarded` value, left to right; nil for a node that is not an
    /// address. Elements without `for=` are skipped. Quoted strings may contain `,` `;` `=` and `\` escapes.
    static func forwardedForHops(_ value: String) -> [IPAddress?] {
        var hops: [IPAddress?] = []
        for element in splitOutsideQuotes(Substring(value), on: ",") {
            for pair in splitOutsideQuotes(element, on: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, trimmed(parts[0]).lowercased() == "for" else { continue }
                hops.append(node(unquoted(trimmed(parts[1]))))
                break
            }
        }
        return hops
    }

    /// An address from a node: `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:80`.
    /// Nil for `unknown`, obfuscated identifiers and anything else.
    static func node(_ text: Substring) -> IPAddress? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { return nil }
            return IPAddress(parsing: String(text[text.index(after: text.startIndex)..<close]))
        }
        let colons = text.count { $0 == ":" }
        if colons == 1, let colon = text.firstIndex(of: ":") {
            return IPAddress(parsing: String(text[..<colon])).flatMap { $0.isIPv4 ? $0 : nil }
        }
        return IPAddress(parsing: String(text))
    }

    static func trimmed(_ text: Substring) -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = text.firstIndex(where: { !isSpace($0) }), let end = text.lastIndex(where: { !isSpace($0) }) else {
            return text[text.endIndex...]
        }
        return text[start...end]
    }

    private static func unquoted(_ text: Substring) -> Substring {
        guard text.count >= 2, text.first == "\"", text.last == "\"" else { return text }
        var out = ""
        var escaped = false
        for character in text.dropFirst().dropLast() {
            if !escaped, character == "\\" {
                escaped = true
                continue
            }
            escaped = false
            out.append(character)
        }
        return Substring(out)
    }

    private static func splitOutsideQuotes(_ text: Substring, on separator: Character) -> [Substring] {
        var parts: [Substring] = []
        var start = text.startIndex
        var inQuotes = false
        var escaped = false
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if escaped {
                escaped = false
            } else if inQuotes, character == "\\" {
                escaped = true
            } else if character == "\"" {
                inQuotes.toggle()
            } else if !inQuotes, character == separator {
                parts.append(text[start..<index])
                start = text.index(after: index)
            }
            index = text.index(after: index)
        }
        parts.append(text[start...])
        return parts
    }
}
