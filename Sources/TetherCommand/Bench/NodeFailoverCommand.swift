import ArgumentParser
import Foundation
import TetherClient
import TetherProtocol

#if canImport(Glibc)
import Glibc
#endif

/// `tether bench failover`: the kill -9 test as a measurement. Many ``TetherClient``s, a publisher through
/// the server API with idempotency keys, optionally a SIGKILL to one node mid-stream; reports what was
/// lost, duplicated or reordered and how long the clients on the killed node took to resume.
struct NodeFailoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "Measure failover: publications lost or duplicated and time to resume when a node is killed.",
        discussion: """
            Starts --clients TetherClient SDK clients (reconnect with backoff, session resume, de-duplication), \
            each given every --url in order (so each starts on the first node and fails over to the next), \
            client i subscribed to channel i mod --channels. Then publishes --rate publications/s in total \
            for --duration through POST /api/publish on --api-url, publication N on channel N mod C with data \
            {"seq":N} and its own idempotency key, retried with the same key every 20 ms after a temporary \
            refusal (503, error 114) or a transport failure until acknowledged (retries stop 5 s after \
            publishing). With --kill-pid, that process gets SIGKILL --kill-after into the publishing (only a \
            `tether node` process is accepted). Each --at OFFSET=COMMAND runs `/bin/sh -c COMMAND` OFFSET \
            into the publishing (its output goes to stderr; it must bound its own time; a failing command fails \
            the run). After publishing, waits up to --drain for every client to receive its channel's last \
            acknowledged offset, then counts: lost (acknowledged, not received by a subscribed client; per \
            client and publication), duplicated (delivered twice to the application, same offset or same seq), \
            out of order, gaps the SDK reported, connection losses per client (closes seen by the SDK after \
            the initial connect) and the longest interval between two deliveries per client; for every client \
            that lost its connection ("moved"): its loss to reconnection and to the first publication received \
            after it (time to resume; it includes waiting for the next publication of the channel when none \
            was missed), and whether it resumed its session. With --kill-pid, also the kill to each connection \
            loss seen. --gateway-metrics scrapes a gateway's admin /metrics afterwards for its session-mode \
            figures (re-binds, migrations, replayed and de-duplicated publications, re-bind latency estimated \
            from the histogram). Each --expect makes the command exit 1, after the report, when its condition \
            fails. Loopback targets only.
            """
    )

    @Option(name: .customLong("url"), help: "WebSocket URL of a node (repeatable; every client gets all of them, in order).")
    var urls: [String] = []

    @Option(help: "Server API base URL of the node the publisher uses (http://host:port/api, loopback).")
    var apiURL: String

    @Option(help: "Server API key.")
    var apiKey: String

    @Option(help: "HS256 secret of the nodes' auth key; each client gets its own token (sub failover-<i>). Without it, clients connect anonymously.")
    var tokenSecret: String?

    @Option(help: "Channel names are this prefix followed by 0, 1, … (the namespace must allow the bench).")
    var channelPrefix = "bench:failover-"

    @Option(help: "Number of TetherClient clients (1...5000).")
    var clients = 100

    @Option(help: "Number of channels; client i subscribes to channel i mod C (1...10000).")
    var channels = 10

    @Option(help: "Publications per second over all channels (1...20000).")
    var rate = 200

    @Option(help: "Publishing time (e.g. 10s; at most 10m).")
    var duration = BenchDurationArgument(.seconds(10))

    @Option(help: "PID of a `tether node` process to kill with SIGKILL during publishing (optional).")
    var killPid: Int32?

    @Option(help: "When to send the SIGKILL, from the start of publishing (less than --duration).")
    var killAfter = BenchDurationArgument(.seconds(3))

    @Option(name: .customLong("at"), help: "OFFSET=COMMAND: run `/bin/sh -c COMMAND` OFFSET after publishing starts (repeatable; less than --duration).")
    var events: [NodeFailoverEvent] = []

    @Option(help: "A gateway admin listener's metrics URL (http://127.0.0.1:PORT/metrics) to scrape after the run (optional).")
    var gatewayMetrics: String?

    @Option(name: .customLong("expect"), help: "Fail (exit 1 after the report) unless this holds: no-closes, exactly-once or all-resumed (repeatable).")
    var expectations: [NodeFailoverExpectation] = []

    @Option(help: "Longest wait after publishing for every client to catch up (at most 1m).")
    var drain = BenchDurationArgument(.seconds(10))

    @Option(help: "The clients' reconnect backoff: first cap (SDK default 100ms).")
    var backoffMin = BenchDurationArgument(.milliseconds(100))

    @Option(help: "The clients' reconnect backoff: largest cap (SDK default 10s).")
    var backoffMax = BenchDurationArgument(.seconds(10))

    @Option(help: "Most client connects in flight at once (1...1000).")
    var concurrency = 64

    @Flag(help: "Print the result as one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard !self.urls.isEmpty else { throw ValidationError("give at least one --url") }
        guard self.urls.count <= 16 else { throw ValidationError("at most 16 --url") }
        for url in self.urls { _ = try BenchTarget(url: url) }
        _ = try self.apiTarget()
        guard !self.apiKey.isEmpty else { throw ValidationError("--api-key must not be empty") }
        if let secret = self.tokenSecret, secret.utf8.count < 32 {
            throw ValidationError("--token-secret must be at least 32 bytes (the node refuses shorter HS256 secrets)")
        }
        guard (1...5_000).contains(self.clients) else { throw ValidationError("--clients must be 1...5000") }
        guard (1...10_000).contains(self.channels) else { throw ValidationError("--channels must be 1...10000") }
        guard (1...20_000).contains(self.rate) else { throw ValidationError("--rate must be 1...20000") }
        guard self.duration.duration > .zero, self.duration.duration <= .seconds(600) else {
            throw ValidationError("--duration must be more than 0 and at most 10m")
        }
        guard self.killAfter.duration >= .zero, self.killAfter.duration < self.duration.duration else {
            throw ValidationError("--kill-after must be at least 0 and less than --duration")
        }
        if let pid = self.killPid, pid <= 1 || pid == getpid() {
            throw ValidationError("--kill-pid must name another process (more than 1, not this one)")
        }
        for event in self.events where event.offset >= self.duration.duration {
            throw ValidationError("--at \(event.command.prefix(40)): the offset must be less than --duration")
        }
        guard self.events.count <= 32 else { throw ValidationError("at most 32 --at") }
        if let url = self.gatewayMetrics { _ = try NodeFailoverGatewayMetrics.target(url) }
        guard self.drain.duration >= .zero, self.drain.duration <= .seconds(60) else { throw ValidationError("--drain must be 0...1m") }
        guard self.backoffMin.duration > .zero, self.backoffMax.duration >= self.backoffMin.duration, self.backoffMax.duration <= .seconds(60) else {
            throw ValidationError("--backoff-min must be more than 0 and at most --backoff-max, which is at most 1m")
        }
        guard (1...1_000).contains(self.concurrency) else { throw ValidationError("--concurrency must be 1...1000") }
        guard ChannelName.isValid(self.channelPrefix + String(self.channels - 1)) else {
            throw ValidationError("--channel-prefix makes invalid channel names")
        }
    }

    /// The parsed `--api-url` (an `http://` URL on a loopback address).
    func apiTarget() throws -> BenchTarget {
        guard self.apiURL.hasPrefix("http://") else { throw ValidationError("--api-url must start with http://") }
        return try BenchTarget(url: "ws://" + self.apiURL.dropFirst("http://".count))
    }

    /// Publisher workers for the rate: one per 50 publications/s, 4...64 (each waits for its answer before
    /// the next request, so a slow server API, e.g. a debug build under load, still gets the rate).
    var workers: Int { min(64, max(4, self.rate / 50)) }

    func run() async throws {
        let targets = try self.urls.map { try BenchTarget(url: $0).description }
        let api = try self.apiTarget()
        if let pid = self.killPid, let problem = Self.killRefusal(pid: pid) { throw BenchError(problem) }
        let clock = ContinuousClock()
        let channelNames = (0..<self.channels).map { self.channelPrefix + String($0) }
        let backoff = Backoff(min: self.backoffMin.duration, max: self.backoffMax.duration)
        let expiresAt = Int64(Date().timeIntervalSince1970) + 86_400

        // Clients.
        let connectStart = clock.now
        var opened: [NodeFailoverClient] = []
        var failures: [String: Int] = [:]
        await withTaskGroup(of: Result<NodeFailoverClient, any Error>.self) { group in
            var started = 0
            var lastProgress = clock.now
            func collect(_ result: Result<NodeFailoverClient, any Error>) {
                switch result {
                case .success(let client): opened.append(client)
                case .failure(let error): failures[String(String(describing: error).prefix(120)), default: 0] += 1
                }
                if clock.now - lastProgress >= .seconds(1) {
                    lastProgress = clock.now
                    BenchConsole.progress("connecting: \(opened.count) subscribed, \(failures.values.reduce(0, +)) failed of \(self.clients)")
                }
            }
            for index in 0..<self.clients {
                if started - opened.count - failures.values.reduce(0, +) >= self.concurrency, let result = await group.next() {
                    collect(result)
                }
                let token = self.tokenSecret.map { NodeBenchToken.sign(subject: "failover-\(index)", secret: $0, expiresAt: expiresAt) }
                let urls = targets
                let channel = index % self.channels
                group.addTask {
                    do {
                        return .success(try await NodeFailoverClient.start(
                            urls: urls, token: token, channel: channel, channelName: channelNames[channel],
                            name: "bench-failover-\(index)", backoff: backoff))
                    } catch {
                        return .failure(error)
                    }
                }
                started += 1
            }
            for await result in group { collect(result) }
        }
        let connectSeconds = BenchConsole.seconds(clock.now - connectStart)
        BenchConsole.progress("connected: \(opened.count) subscribed, \(failures.values.reduce(0, +)) failed of \(self.clients)")
        BenchConsole.endProgress()
        guard !opened.isEmpty else { throw BenchError("no client could connect and subscribe: \(failures)") }

        // Publishing, and the kill.
        let publisher = NodeFailoverPublisher(
            api: api, apiKey: self.apiKey, channels: channelNames, rate: self.rate, workers: self.workers,
            run: "failover-\(UInt32.random(in: 0...UInt32.max))")
        let start = clock.now + .milliseconds(100)
        let publishUntil = start + self.duration.duration
        let publishing = Task { await publisher.run(start: start, publishUntil: publishUntil, retryUntil: publishUntil + .seconds(5)) }
        let killPID = self.killPid
        let killAt = start + self.killAfter.duration
        let killer = Task { () -> (at: ContinuousClock.Instant, error: String?)? in
            guard let pid = killPID else { return nil }
            try? await Task.sleep(until: killAt)
            let at = ContinuousClock.now
            if kill(pid, SIGKILL) != 0 { return (at, "kill(\(pid), SIGKILL) failed: errno \(errno)") }
            return (at, nil)
        }
        let events = self.events
        let eventRuns = Task {
            await withTaskGroup(of: (Int, NodeFailoverEvent.Outcome).self) { group in
                for (index, event) in events.enumerated() { group.addTask { (index, await event.run(start: start)) } }
                var outcomes: [(Int, NodeFailoverEvent.Outcome)] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes.sorted { $0.0 < $1.0 }.map(\.1)
            }
        }
        while clock.now < publishUntil {
            try? await Task.sleep(until: min(publishUntil, clock.now + .seconds(1)))
            let counters = publisher.snapshot
            let deliveries = opened.reduce(0) { sum, client in sum + client.read(\.deliveries) }
            let reconnecting = opened.count { $0.client.state.isConnected == false }
            BenchConsole.progress(
                "\(String(format: "%5.1f", BenchConsole.seconds(clock.now - start)))/\(self.duration.defaultValueDescription)  "
                    + "sent \(counters.published)  acked \(counters.acknowledged)  failed attempts \(counters.failedAttempts)  "
                    + "deliveries \(deliveries)  not connected \(reconnecting)")
        }
        await publishing.value
        let killing = await killer.value
        BenchConsole.endProgress()
        if !events.isEmpty { BenchConsole.progress("waiting for the --at commands to finish") }
        let eventOutcomes = await eventRuns.value
        BenchConsole.endProgress()

        // Drain: every client up to its channel's last acknowledged offset.
        let drainStart = clock.now
        let ledger = publisher.ledger.withLock { $0 }
        var caughtUp = 0
        while true {
            caughtUp = opened.count { client in client.read { ledger.caughtUp($0) } }
            let live = opened.count { client in client.read { $0.ended == nil } }
            if caughtUp >= live || clock.now - drainStart >= self.drain.duration { break }
            BenchConsole.progress("draining: \(caughtUp) of \(opened.count) clients caught up")
            try? await Task.sleep(for: .milliseconds(20))
        }
        let drainSeconds = BenchConsole.seconds(clock.now - drainStart)
        BenchConsole.endProgress()

        let tracks = opened.map(\.snapshot)
        await withTaskGroup(of: Void.self) { group in
            for client in opened { group.addTask { await client.close() } }
        }
        let outcome = ledger.outcome(of: tracks, kill: killing.flatMap { $0.error == nil ? $0.at : nil })
        let counters = publisher.snapshot
        var report = NodeFailoverReport(
            urls: targets,
            apiURL: self.apiURL,
            opened: opened.count,
            failed: failures.values.reduce(0, +),
            failures: failures,
            clients: self.clients,
            channels: self.channels,
            rate: self.rate,
            durationSeconds: BenchConsole.seconds(self.duration.duration),
            connectSeconds: connectSeconds,
            killPID: self.killPid,
            killAfterSeconds: self.killPid.map { _ in BenchConsole.seconds(self.killAfter.duration) },
            killed: killing != nil && killing?.error == nil,
            killError: killing?.error,
            published: counters.published,
            publishAcked: counters.acknowledged,
            publishRetried: counters.retried,
            publishFailedAttempts: counters.failedAttempts,
            publishRefused: counters.refused,
            publishUnacknowledged: counters.unacknowledged,
            publishDuplicateAcks: ledger.duplicateAcks,
            publishLate: counters.late,
            publishFailures: counters.failures,
            deliveries: outcome.deliveries,
            lost: outcome.lost,
            lostPublications: outcome.lostPublications,
            clientsWithLoss: outcome.clientsWithLoss,
            duplicated: outcome.duplicated,
            outOfOrder: outcome.outOfOrder,
            gaps: outcome.gaps,
            gapOffsets: outcome.gapOffsets,
            foreign: outcome.foreign,
            subscriptionsEnded: outcome.ended,
            caughtUp: caughtUp,
            drainSeconds: drainSeconds,
            moved: outcome.moved,
            reconnected: outcome.reconnected,
            sessionsResumed: outcome.sessionsResumed,
            notResumed: outcome.notResumed,
            timeToResumeMilliseconds: NodeFailoverTimes(outcome.timesToResume),
            timeToReconnectMilliseconds: NodeFailoverTimes(outcome.timesToReconnect),
            timeToDetectMilliseconds: NodeFailoverTimes(outcome.timesToDetect),
            nodesAtKill: outcome.nodesAtKill,
            nodesAtEnd: outcome.nodesAtEnd,
            closeCodes: Dictionary(uniqueKeysWithValues: outcome.closeCodes.map { (String($0.key), $0.value) })
        )
        report.closes = outcome.closes
        report.clientsWithClose = outcome.clientsWithClose
        report.longestDeliveryGapMilliseconds = NodeFailoverTimes(outcome.longestDeliveryGaps)
        report.events = eventOutcomes
        if let url = self.gatewayMetrics { report.gatewayMetrics = await NodeFailoverGatewayMetrics.scrape(url) }
        report.expectations = self.expectations.map(\.rawValue)
        report.expectationFailures = self.expectations.compactMap { expectation in
            expectation.failure(of: report).map { "\(expectation.rawValue): \($0)" }
        }
        print(self.json ? try BenchConsole.json(report) : report.table)
        let failedEvents = eventOutcomes.filter { !$0.succeeded }
        for event in failedEvents {
            Self.printError("--at \(event.command.prefix(60)) failed: " + (event.status.map { "exit \($0)" } ?? event.error ?? "?"))
        }
        for failure in report.expectationFailures { Self.printError("expectation not met: \(failure)") }
        if !failedEvents.isEmpty || !report.expectationFailures.isEmpty { throw ExitCode.failure }
    }

    private static func printError(_ line: String) {
        FileHandle.standardError.write(Data(("tether bench failover: " + line + "\n").utf8))
    }

    /// Why `pid` must not be killed (nil when it is a running `tether node`): the bench only ever kills a
    /// node the caller started, never an arbitrary process.
    static func killRefusal(pid: Int32) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else {
            return "--kill-pid \(pid): no such process (or /proc unavailable)"
        }
        let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return Self.isTetherNode(arguments) ? nil : "--kill-pid \(pid) is not a `tether node` process: \(arguments.joined(separator: " ").prefix(120))"
    }

    /// Whether a command line is `…tether node …`.
    static func isTetherNode(_ arguments: [String]) -> Bool {
        guard let program = arguments.first else { return false }
        return (program as NSString).lastPathComponent == "tether" && arguments.dropFirst().first == "node"
    }
}

extension ConnectionState {
    fileprivate var isConnected: Bool {
        if case .connected = self { return true }
        return false
    }
}
