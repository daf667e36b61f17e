import Foundation
import TetherGatewayCore
import Yams

/// Reads the gateway's YAML configuration file (schema: `docs/configuration.md`, examples in `examples/`).
///
/// Checks run in this order, and the first stage that finds problems throws a ``ConfigurationLoadError``
/// listing all of that stage's issues:
/// 1. YAML syntax (the issue's key path is `line L, column C`);
/// 2. the schema: unknown keys, missing required keys, wrong types, bad values (each issue names the key
///    path and ends with the source line);
/// 3. ``GatewayConfigurationValidator`` together with, for ``load(path:)`` only, the existence of every TLS
///    file the configuration names.
public enum GatewayConfigurationLoader {
    /// The process exit status for a configuration that cannot be used (`tether gateway` and
    /// `--check-config`).
    public static let invalidConfigurationExitCode: Int32 = 2

    /// Loads, validates and checks the files of the configuration at `path`. Relative TLS file paths are
    /// resolved against the directory that holds `path`; the returned configuration holds absolute paths.
    public static func load(path: String) throws -> GatewayConfiguration {
        let absolutePath = URL(fileURLWithPath: path).standardizedFileURL.path
        let yaml: String
        do {
            yaml = try String(contentsOfFile: absolutePath, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: absolutePath) ? "is not readable UTF-8 text" : "does not exist"
            throw ConfigurationLoadError(file: path, issues: [ConfigurationIssue(keyPath: path, message: "the file \(reason)")])
        }
        let baseDirectory = URL(fileURLWithPath: absolutePath).deletingLastPathComponent().path
        do {
            return try decode(yaml: yaml, baseDirectory: baseDirectory, checkFiles: true)
        } catch var error as ConfigurationLoadError {
            error.file = path
            throw error
        }
    }

    /// Decodes and validates a configuration from YAML text without touching the file system. Relative TLS
    /// file paths are resolved against `baseDirectory`, or the current directory when it is nil.
    public static func decode(yaml: String, baseDirectory: String?) throws -> GatewayConfiguration {
        try decode(yaml: yaml, baseDirectory: baseDirectory ?? FileManager.default.currentDirectoryPath, checkFiles: false)
    }

    /// For `tether gateway --check-config FILE`: loads `path` and returns whether it is usable and a report
    /// for the terminal: on success a summary (listeners, routes, clusters, endpoints), on failure every
    /// issue. The caller exits with ``invalidConfigurationExitCode`` when `ok` is false.
    public static func check(path: String) -> (ok: Bool, report: String) {
        do {
            let configuration = try load(path: path)
            return (true, "\(path): configuration is valid\n\(configuration.summary)")
        } catch {
            return (false, String(describing: error))
        }
    }

    // MARK: Stages

    private static func decode(yaml: String, baseDirectory: String, checkFiles: Bool) throws -> GatewayConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationLoadError(file: nil, issues: [syntaxIssue(error)])
        }

        var decoder = GatewayConfigurationDecoder(baseDirectory: baseDirectory)
        let configuration = decoder.decode(root)
        guard decoder.reader.issues.isEmpty else {
            throw ConfigurationLoadError(file: nil, issues: decoder.reader.issues)
        }

        var issues = GatewayConfigurationValidator.validate(configuration).map { issue in
            var located = issue
            located.message = YAMLNodeReader.appendingLine(decoder.reader.line(near: issue.keyPath), to: issue.message)
            return located
        }
        if checkFiles {
            for file in decoder.files {
                if let problem = fileProblem(file.path) {
                    let message = YAMLNodeReader.appendingLine(decoder.reader.line(near: file.keyPath), to: "\(problem): \(file.path)")
                    issues.append(ConfigurationIssue(keyPath: file.keyPath, message: message))
                }
            }
        }
        guard issues.isEmpty else { throw ConfigurationLoadError(file: nil, issues: issues) }
        return configuration
    }

    private static func fileProblem(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return "file not found" }
        if isDirectory.boolValue { return "is a directory, not a file" }
        if !FileManager.default.isReadableFile(atPath: path) { return "file is not readable" }
        return nil
    }

    /// A YAML error as an issue located by line and column where Yams gives them.
    private static func syntaxIssue(_ error: any Error) -> ConfigurationIssue {
        guard let yamlError = error as? YamlError else {
            return ConfigurationIssue(keyPath: "(document)", message: "YAML error: \(error)")
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "YAML syntax error: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            return ConfigurationIssue(keyPath: "line \(mark.line), column \(mark.column)", message: message)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            return ConfigurationIssue(
                keyPath: "line \(context.mark.line), column \(context.mark.column)",
                message: "duplicate key \(keys) in one mapping"
            )
        case .reader(let problem, _, _, _):
            return ConfigurationIssue(keyPath: "(document)", message: "cannot read YAML: \(problem)")
        default:
            return ConfigurationIssue(keyPath: "(document)", message: "YAML error: \(yamlError)")
        }
    }
}
