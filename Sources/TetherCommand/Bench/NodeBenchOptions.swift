import ArgumentParser
import Foundation

/// Options shared by `tether bench fanout` and `tether bench node-idle`: authentication, channels, how
/// connections are opened, and the node process to watch.
struct NodeBenchOptions: ParsableArguments {
    @Option(help: "HS256 secret of the node's auth key; the bench signs its own token (sub --user, exp in 1 day).")
    var tokenSecret: String?

    @Option(help: "A ready-made connection token (instead of --token-secret). Without either, connect is anonymous.")
    var token: String?

    @Option(help: "The token's subject when signing with --token-secret.")
    var user = "bench"

    @Option(help: "Channel names are this prefix followed by 0, 1, … (the namespace must allow the bench).")
    var channelPrefix = "bench:"

    @Option(help: "Number of channels; subscriber i subscribes to channel i mod C (1...10000).")
    var channels = 4

    @Option(help: "Local source addresses 127.0.0.1 ... 127.0.0.N used round-robin (1...250).")
    var sources = 4

    @Option(help: "Most connection handshakes in flight at once (1...10000).")
    var concurrency = 256

    @Option(help: "PID of the node process: its CPU time (fanout) or resident memory (node-idle) is read from /proc.")
    var pid: Int32?

    /// Throws a `ValidationError` for out-of-range values or conflicting token options.
    func check() throws {
        guard (1...10_000).contains(self.channels) else { throw ValidationError("--channels must be 1...10000") }
        guard (1...250).contains(self.sources) else { throw ValidationError("--sources must be 1...250") }
        guard (1...10_000).contains(self.concurrency) else { throw ValidationError("--concurrency must be 1...10000") }
        guard self.token == nil || self.tokenSecret == nil else { throw ValidationError("give --token or --token-secret, not both") }
        if let secret = self.tokenSecret, secret.utf8.count < 32 {
            throw ValidationError("--token-secret must be at least 32 bytes (the node refuses shorter HS256 secrets)")
        }
    }

    /// The token every connection presents, or nil for anonymous connections.
    func resolvedToken() -> String? {
        if let token = self.token { return token }
        guard let secret = self.tokenSecret else { return nil }
        let expiresAt = Int64(Date().timeIntervalSince1970) + 86_400
        return NodeBenchToken.sign(subject: self.user, secret: secret, expiresAt: expiresAt)
    }

    /// The name of channel `index`.
    func channel(_ index: Int) -> String {
        self.channelPrefix + String(index)
    }

    /// The source addresses for `target` (none for IPv6).
    func sourceAddresses(for target: BenchTarget) -> [String] {
        target.host == "::1" ? [] : (1...self.sources).map { "127.0.0.\($0)" }
    }
}
