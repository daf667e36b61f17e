import TetherGatewayCore

/// A gateway configuration file that cannot be used: unreadable, not YAML, not the schema, semantically
/// invalid, or naming files that do not exist. Holds every issue found, not just the first.
public struct ConfigurationLoadError: Error, CustomStringConvertible {
    /// The configuration file, when loaded from one.
    public var file: String?
    /// The problems, in the order they were found (see ``GatewayConfigurationLoader``). Never empty.
    public var issues: [ConfigurationIssue]

    /// What was being configured ("gateway", "node"), for the header line.
    public var subject: String

    public init(file: String?, issues: [ConfigurationIssue], subject: String = "gateway") {
        self.file = file
        self.issues = issues
        self.subject = subject
    }

    /// A header line naming the file and the number of problems, then one indented line per issue.
    public var description: String {
        let count = issues.count == 1 ? "1 problem" : "\(issues.count) problems"
        let header = file.map { "\($0): invalid \(subject) configuration (\(count)):" } ?? "invalid \(subject) configuration (\(count)):"
        return ([header] + issues.map { "  \($0)" }).joined(separator: "\n")
    }
}
