/// One problem found in a gateway configuration, named by the key path of the offending value as written
/// in the configuration file (`clusters[0].endpoints[1].weight`, `listeners[1].routes[0].cluster`).
///
/// Key paths use the file's snake_case key names and zero-based indices, so a user can find the value
/// whether the configuration came from YAML or was built in code.
public struct ConfigurationIssue: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the problem is: a dotted key path with `[index]` for sequence items. Issues that are not about
    /// one value (a YAML syntax error) use a location such as `line 3, column 7` instead.
    public var keyPath: String
    /// What is wrong, and where useful what is expected. Does not repeat the key path.
    public var message: String

    public init(keyPath: String, message: String) {
        self.keyPath = keyPath
        self.message = message
    }

    /// `"<keyPath>: <message>"`.
    public var description: String { "\(keyPath): \(message)" }
}
