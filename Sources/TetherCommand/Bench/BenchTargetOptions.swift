import ArgumentParser

/// `--url`, shared by the `tether bench` subcommands (declared first in each of them, so that its check runs
/// before theirs, as ArgumentParser validates an option group while decoding it).
struct BenchTargetOptions: ParsableArguments {
    @Option(help: "Target URL: ws://host:port/path on a loopback address.")
    var url: String

    /// Throws ``BenchError`` when `--url` is malformed or not a loopback address.
    func validate() throws {
        _ = try self.target()
    }

    /// The parsed `--url`.
    func target() throws -> BenchTarget {
        try BenchTarget(url: self.url)
    }
}
