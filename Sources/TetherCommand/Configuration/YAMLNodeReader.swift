import Foundation
import TetherGatewayCore
import Yams

/// Reads typed values out of a composed YAML tree. Every value that is missing, mistyped or unknown adds a
/// ``ConfigurationIssue`` naming its key path and source line, and reading carries on, so one pass reports
/// every problem rather than the first.
///
/// Readers return nil for a value they rejected (the issue is already recorded); callers keep their default.
/// One reader per decode; not shared between threads.
final class YAMLNodeReader {
    /// Problems found so far, in the order they were read (document order).
    private(set) var issues: [ConfigurationIssue] = []
    /// The 1-based source line of every key path read, to locate issues found later by the validator.
    private(set) var lines: [String: Int] = [:]

    /// Records a problem at `keyPath` (`(document)` for the root); when `node` has a position, the message
    /// ends with `(line N)`.
    func fail(_ keyPath: String, _ message: String, at node: Node? = nil) {
        let line = node?.mark?.line ?? lines[keyPath]
        let location = keyPath.isEmpty ? "(document)" : keyPath
        issues.append(ConfigurationIssue(keyPath: location, message: Self.appendingLine(line, to: message)))
    }

    /// The line of `keyPath`, or of its nearest ancestor that appeared in the file (for defaulted values).
    func line(near keyPath: String) -> Int? {
        var path = Substring(keyPath)
        while !path.isEmpty {
            if let line = lines[String(path)] { return line }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return nil }
            path = path[..<cut]
        }
        return nil
    }

    static func appendingLine(_ line: Int?, to message: String) -> String {
        guard let line else { return message }
        return "\(message) (line \(line))"
    }

    func record(_ keyPath: String, _ node: Node) {
        if let line = node.mark?.line, lines[keyPath] == nil { lines[keyPath] = line }
    }

    // MARK: Collections

    /// `node` as a mapping whose keys must all be in `allowed` (each unknown key is an issue, with a
    /// suggestion when it looks like a typo). YAML merge keys (`<<: *defaults`) are expanded; explicit
    /// keys win over merged ones.
    func mapping(_ node: Node, at keyPath: String, keys allowed: [String]) -> YAMLMapping? {
        guard case .mapping(let mapping) = node else {
            fail(keyPath, "expected a mapping, got \(Self.describe(node))", at: node)
            return nil
        }
        var entries: [String: Node] = [:]
        var merged: [(String, Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                fail(keyPath, "keys must be plain strings, got \(Self.describe(keyNode))", at: keyNode)
                continue
            }
            let key = scalar.string
            if key == "<<" {
                merged += mergeSources(value, at: keyPath)
                continue
            }
            let childPath = Self.join(keyPath, key)
            record(childPath, keyNode)
            if allowed.contains(key) {
                entries[key] = value
            } else {
                fail(childPath, "unknown key \"\(key)\"; \(Self.suggestion(for: key, among: allowed))", at: keyNode)
            }
        }
        for (key, value) in merged where entries[key] == nil && allowed.contains(key) {
            record(Self.join(keyPath, key), value)
            entries[key] = value
        }
        return YAMLMapping(reader: self, keyPath: keyPath, node: node, entries: entries)
    }

    private func mergeSources(_ value: Node, at keyPath: String) -> [(String, Node)] {
        let sources: [Node]
        if case .sequence(let sequence) = value { sources = Array(sequence) } else { sources = [value] }
        var pairs: [(String, Node)] = []
        for source in sources {
            guard case .mapping(let mapping) = source else {
                fail(Self.join(keyPath, "<<"), "a merge key needs a mapping or a list of mappings", at: source)
                continue
            }
            for (key, value) in mapping {
                if case .scalar(let scalar) = key, !pairs.contains(where: { $0.0 == scalar.string }) {
                    pairs.append((scalar.string, value))
                }
            }
        }
        return pairs
    }

    /// `node` as a list, each item with its key path (`keyPath[i]`).
    func sequence(_ node: Node, at keyPath: String) -> [(keyPath: String, node: Node)]? {
        guard case .sequence(let sequence) = node else {
            fail(keyPath, "expected a list, got \(Self.describe(node))", at: node)
            return nil
        }
        return sequence.enumerated().map { index, item in
            let itemPath = "\(keyPath)[\(index)]"
            record(itemPath, item)
            return (itemPath, item)
        }
    }

    // MARK: Scalars

    func string(_ node: Node, at keyPath: String) -> String? {
        scalarText(node, at: keyPath, expected: "a string")
    }

    /// The text of a scalar; a mapping or list is an issue saying `expected` was wanted.
    private func scalarText(_ node: Node, at keyPath: String, expected: String) -> String? {
        guard case .scalar(let scalar) = node else {
            fail(keyPath, "expected \(expected), got \(Self.describe(node))", at: node)
            return nil
        }
        return scalar.string
    }

    /// A decimal integer (`16384`, `16_384`). Unlike YAML 1.1, a leading zero does not mean octal.
    func int(_ node: Node, at keyPath: String) -> Int? {
        guard let text = scalarText(node, at: keyPath, expected: "an integer") else { return nil }
        guard let value = Int(text.replacingOccurrences(of: "_", with: "")) else {
            fail(keyPath, "expected an integer, got \"\(text)\"", at: node)
            return nil
        }
        return value
    }

    func double(_ node: Node, at keyPath: String) -> Double? {
        guard let text = scalarText(node, at: keyPath, expected: "a number") else { return nil }
        let digits = text.replacingOccurrences(of: "_", with: "")
        guard digits.first?.isNumber == true || digits.first == "-" || digits.first == ".",
            let value = Double(digits), value.isFinite
        else {
            fail(keyPath, "expected a number, got \"\(text)\"", at: node)
            return nil
        }
        return value
    }

    func bool(_ node: Node, at keyPath: String) -> Bool? {
        guard let text = scalarText(node, at: keyPath, expected: "true or false") else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            fail(keyPath, "expected true or false, got \"\(text)\"", at: node)
            return nil
        }
    }

    /// See ``DurationParser``.
    func duration(_ node: Node, at keyPath: String) -> Duration? {
        guard let text = scalarText(node, at: keyPath, expected: "a duration") else { return nil }
        switch DurationParser.parse(text) {
        case .success(let duration): return duration
        case .failure(let error):
            fail(keyPath, error.message, at: node)
            return nil
        }
    }

    /// `host:port` or `[v6]:port`.
    func hostAndPort(_ node: Node, at keyPath: String) -> HostAndPort? {
        guard let text = scalarText(node, at: keyPath, expected: "an address (host:port)") else { return nil }
        guard let address = HostAndPort(parsing: text) else {
            fail(keyPath, "invalid address \"\(text)\"; expected host:port (such as 127.0.0.1:8080 or [::1]:8080)", at: node)
            return nil
        }
        return address
    }

    /// One of a fixed set of words; the issue lists them all.
    func choice<Value>(_ node: Node, at keyPath: String, what: String, _ choices: KeyValuePairs<String, Value>) -> Value? {
        guard let text = string(node, at: keyPath) else { return nil }
        guard let match = choices.first(where: { $0.key == text }) else {
            let expected = choices.map(\.key).joined(separator: ", ")
            fail(keyPath, "unknown \(what) \"\(text)\"; expected one of \(expected)", at: node)
            return nil
        }
        return match.value
    }

    // MARK: Helpers

    static func join(_ keyPath: String, _ key: String) -> String {
        keyPath.isEmpty ? key : "\(keyPath).\(key)"
    }

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        case .scalar(let scalar): "\"\(scalar.string)\""
        }
    }

    /// "did you mean …?" for a near miss (camelCase for snake_case, or at most two edits), else the list.
    static func suggestion(for key: String, among allowed: [String]) -> String {
        let snake = key.reduce(into: "") { result, character in
            if character.isUppercase { result += "_" + character.lowercased() } else { result.append(character) }
        }
        if allowed.contains(snake) { return "did you mean \"\(snake)\"?" }
        let scored = allowed.map { ($0, editDistance(key.lowercased(), $0)) }.min { $0.1 < $1.1 }
        if let (best, distance) = scored, distance <= 2 { return "did you mean \"\(best)\"?" }
        return "expected one of \(allowed.joined(separator: ", "))"
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// A YAML mapping whose keys were checked against the schema. Null values (`key:`, `key: ~`) count as absent,
/// so they select the default.
struct YAMLMapping {
    let reader: YAMLNodeReader
    let keyPath: String
    let node: Node
    fileprivate let entries: [String: Node]

    func path(_ key: String) -> String { YAMLNodeReader.join(keyPath, key) }

    /// The value of `key`, or nil when absent or null.
    func value(_ key: String) -> Node? {
        guard let node = entries[key], !YAMLNodeReader.isNull(node) else { return nil }
        return node
    }

    func contains(_ key: String) -> Bool { value(key) != nil }

    /// The value of an optional key read with `read`, or nil when absent, null or invalid.
    func optional<Value>(_ key: String, _ read: (Node, String) -> Value?) -> Value? {
        guard let node = value(key) else { return nil }
        return read(node, path(key))
    }

    /// Like ``optional(_:_:)``, but a missing key is an issue.
    func required<Value>(_ key: String, _ read: (Node, String) -> Value?) -> Value? {
        guard let node = value(key) else {
            reader.fail(path(key), "required key is missing", at: self.node)
            return nil
        }
        return read(node, path(key))
    }
}
