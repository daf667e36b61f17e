import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real `redis-server` child process on a free loopback port, for tests.
///
/// `start` returns once the server answers `PING`. ``stop()`` (SIGTERM), ``kill()`` (SIGKILL) and
/// ``restart()`` (same port, same directory, so an AOF file is reloaded) wait for the process to exit;
/// ``cleanup()`` (also run by `deinit`) kills it and removes its directory, so no server outlives its test.
/// Thread-safe.
public final class RedisServerProcess: Sendable {
    public struct Options: Sendable {
        /// `requirepass` for the `default` user.
        public var requirePass: String?
        /// An extra ACL user with every permission: `(name, password)`.
        public var aclUser: (name: String, password: String)?
        /// Serve TLS on ``RedisServerProcess/port`` with a certificate made for `localhost` and `127.0.0.1`,
        /// signed by a CA at ``RedisServerProcess/caCertificatePath`` (made with the `openssl` CLI). A plain
        /// port (``RedisServerProcess/plainPort``) is opened too.
        public var tls: Bool
        /// `appendonly yes` with `appendfsync always`, for restart tests that must keep data.
        public var appendOnly: Bool
        /// More `redis-server` arguments, appended last.
        public var extraArguments: [String]

        public init(requirePass: String? = nil, aclUser: (name: String, password: String)? = nil, tls: Bool = false,
                    appendOnly: Bool = false, extraArguments: [String] = []) {
            self.requirePass = requirePass
            self.aclUser = aclUser
            self.tls = tls
            self.appendOnly = appendOnly
            self.extraArguments = extraArguments
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case notInstalled
        case didNotStart(String)
        /// The server exited because its port was taken meanwhile (``start(_:)`` retries on other ports).
        case portTaken
        case openssl(String)

        public var description: String {
            switch self {
            case .notInstalled: "redis-server not found on PATH or in /usr/bin (scripts/test installs it)"
            case .didNotStart(let why): "redis-server did not start: \(why)"
            case .portTaken: "redis-server did not start: its port was taken meanwhile"
            case .openssl(let why): "openssl failed: \(why)"
            }
        }
    }

    /// The port clients use (TLS when ``Options/tls`` is set).
    public let port: Int
    /// A plain-text port: the same as ``port`` without TLS, a second port with it.
    public let plainPort: Int
    /// The server's working directory (AOF, log, certificates).
    public let directory: URL
    /// The CA certificate (PEM) that signed the server's TLS certificate, when ``Options/tls`` is set.
    public let caCertificatePath: String?
    public let options: Options
    private let executable: String
    private let arguments: [String]
    private let process: Mutex<pid_t?>

    private init(port: Int, plainPort: Int, directory: URL, caCertificatePath: String?, options: Options,
                 executable: String, arguments: [String]) {
        self.port = port
        self.plainPort = plainPort
        self.directory = directory
        self.caCertificatePath = caCertificatePath
        self.options = options
        self.executable = executable
        self.arguments = arguments
        self.process = Mutex(nil)
    }

    deinit {
        cleanup()
    }

    /// Starts a server and waits (up to 10 s) until it listens and answers `PING`. Ports are picked free
    /// just before the start; if another process takes one in between, the server cannot bind it and exits,
    /// and the start is retried on new ports (up to 5 times).
    public static func start(_ options: Options = Options()) async throws -> RedisServerProcess {
        var attempt = 1
        while true {
            do {
                return try await self.startOnce(options)
            } catch Failure.portTaken where attempt < 5 {
                attempt += 1
            }
        }
    }

    private static func startOnce(_ options: Options) async throws -> RedisServerProcess {
        guard let executable = findExecutable() else { throw Failure.notInstalled }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tether-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let plainPort = try freePort()
        var port = plainPort
        var arguments = [
            "--bind", "127.0.0.1", "--port", String(plainPort), "--dir", directory.path,
            "--save", "", "--daemonize", "no", "--logfile", directory.appendingPathComponent("redis.log").path,
            "--enable-debug-command", "local",
        ]
        if options.appendOnly {
            arguments += ["--appendonly", "yes", "--appendfsync", "always"]
        } else {
            arguments += ["--appendonly", "no"]
        }
        if let password = options.requirePass {
            arguments += ["--requirepass", password]
        }
        if let user = options.aclUser {
            arguments += ["--user", user.name, "on", ">\(user.password)", "~*", "&*", "+@all"]
        }
        var caPath: String?
        if options.tls {
            port = try freePort()
            caPath = try makeCertificates(in: directory)
            arguments += [
                "--tls-port", String(port),
                "--tls-cert-file", directory.appendingPathComponent("server.pem").path,
                "--tls-key-file", directory.appendingPathComponent("server.key").path,
                "--tls-ca-cert-file", directory.appendingPathComponent("ca.pem").path,
                "--tls-auth-clients", "no",
            ]
        }
        arguments += options.extraArguments
        let server = RedisServerProcess(
            port: port, plainPort: plainPort, directory: directory, caCertificatePath: caPath, options: options,
            executable: executable, arguments: arguments)
        try await server.launch()
        return server
    }

    /// Whether the process is running.
    public var isRunning: Bool {
        process.withLock { state in Self.poll(&state) }
    }

    /// SIGTERM, then waits for exit (SIGKILL after 10 s).
    public func stop() async {
        await terminate(signal: SIGTERM)
    }

    /// SIGKILL, then waits for exit.
    public func kill() async {
        await terminate(signal: SIGKILL)
    }

    /// Starts the server again on the same port and directory (stopping it first if it runs) and waits until
    /// it answers `PING`.
    public func restart() async throws {
        if isRunning { await stop() }
        try await launch()
    }

    /// Kills the process (if running), reaps it and removes its directory. Idempotent; blocking.
    public func cleanup() {
        killAndReap()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Process

    /// The child's pid while it has not been reaped.
    private static func poll(_ pid: inout pid_t?) -> Bool {
        guard let current = pid else { return false }
        var status: Int32 = 0
        let result = waitpid(current, &status, WNOHANG)
        if result == 0 { return true }
        pid = nil  // exited (reaped now) or not ours any more
        return false
    }

    private func killAndReap() {
        process.withLock { pid in
            guard let current = pid else { return }
            ChildProcess.signal(current, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(current, &status, 0)
            pid = nil
        }
    }

    private static func spawn(_ executable: String, _ arguments: [String]) throws -> pid_t {
        do {
            return try ChildProcess.spawn(executable, arguments)
        } catch {
            throw Failure.didNotStart(error.description)
        }
    }

    private func launch() async throws {
        let logURL = directory.appendingPathComponent("redis.log")
        // A restart appends to the same log: only what this launch writes counts.
        let logStart = ((try? String(contentsOf: logURL, encoding: .utf8)) ?? "").utf8.count
        let pid = try Self.spawn(executable, arguments)
        process.withLock { $0 = pid }
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let log = String(((try? String(contentsOf: logURL, encoding: .utf8)) ?? "").utf8.dropFirst(logStart)) ?? ""
            if !isRunning {
                if log.contains("Address already in use") { throw Failure.portTaken }
                throw Failure.didNotStart("exited: \(log.suffix(2000))")
            }
            // Only once *this* server says it listens: a PING alone could be answered by whoever holds the
            // port if this server failed to bind it (two tests then share one server).
            if log.contains("Ready to accept connections"), Self.ping(port: plainPort) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        killAndReap()
        throw Failure.didNotStart("no PING reply within 10 s on port \(plainPort)")
    }

    private func terminate(signal: Int32) async {
        guard let pid = process.withLock({ $0 }), isRunning else { return }
        ChildProcess.signal(pid, signal)
        let deadline = ContinuousClock.now + .seconds(10)
        while isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if isRunning { killAndReap() }
        // The port must be free again before a restart binds it.
        let portDeadline = ContinuousClock.now + .seconds(5)
        while Self.canConnect(port: plainPort) && ContinuousClock.now < portDeadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private static func findExecutable() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(directory)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    // MARK: Certificates

    private static func makeCertificates(in directory: URL) throws -> String {
        let dir = directory.path
        let config = """
            [req]
            distinguished_name = dn
            [dn]
            [server]
            subjectAltName = DNS:localhost, IP:127.0.0.1
            basicConstraints = CA:FALSE
            keyUsage = digitalSignature, keyEncipherment
            extendedKeyUsage = serverAuth
            [ca]
            basicConstraints = critical, CA:TRUE
            keyUsage = critical, keyCertSign, cRLSign
            subjectKeyIdentifier = hash
            """
        try config.write(toFile: "\(dir)/openssl.cnf", atomically: true, encoding: .utf8)
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", "\(dir)/ca.key", "-out", "\(dir)/ca.pem", "-days", "2", "-subj", "/CN=Tether Test CA",
                     "-config", "\(dir)/openssl.cnf", "-extensions", "ca"])
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", "\(dir)/server.key", "-out", "\(dir)/server.csr", "-subj", "/CN=localhost",
                     "-config", "\(dir)/openssl.cnf"])
        try openssl(["x509", "-req", "-in", "\(dir)/server.csr", "-CA", "\(dir)/ca.pem", "-CAkey", "\(dir)/ca.key",
                     "-CAcreateserial", "-out", "\(dir)/server.pem", "-days", "2",
                     "-extfile", "\(dir)/openssl.cnf", "-extensions", "server"])
        return "\(dir)/ca.pem"
    }

    private static func openssl(_ arguments: [String]) throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") ? "/usr/bin/openssl" : "/usr/local/bin/openssl")
        child.arguments = arguments
        let errors = Pipe()
        child.standardOutput = FileHandle.nullDevice
        child.standardError = errors
        try child.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        guard child.terminationStatus == 0 else {
            throw Failure.openssl(String(decoding: output, as: UTF8.self))
        }
    }

    // MARK: Sockets

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.didNotStart("socket() failed") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Failure.didNotStart("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func connectSocket(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if connected != 0 {
            close(fd)
            return nil
        }
        return fd
    }

    private static func canConnect(port: Int) -> Bool {
        guard let fd = connectSocket(port: port) else { return false }
        close(fd)
        return true
    }

    /// Sends `PING` and reads any reply (`+PONG`, or `-NOAUTH` when a password is set: either way it is up).
    static func ping(port: Int) -> Bool {
        guard let fd = connectSocket(port: port) else { return false }
        defer { close(fd) }
        let request = Array("PING\r\n".utf8)
        guard send(fd, request, request.count, 0) == request.count else { return false }
        var reply = [UInt8](repeating: 0, count: 64)
        let count = recv(fd, &reply, reply.count, 0)
        guard count > 0 else { return false }
        return reply[0] == UInt8(ascii: "+") || reply[0] == UInt8(ascii: "-")
    }
}
