import ArgumentParser
import Foundation
import Logging
import TetherClient
import TetherProtocol
import UnixSignals

/// `tether client`: a terminal Tether client on the `TetherClient` library. Prints every publication
/// (channel, offset, the node it came through, data), presence changes, gaps, and every connection event
/// (connect, loss, reconnect, session resume). (Named `TerminalClientCommand`, not `ClientCommand`, which is
/// TetherProtocol's wire command type.)
struct TerminalClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Connect to a node (or a gateway) and print what arrives on some channels.",
        discussion: """
            Uses the Swift client library: reconnects with backoff, resumes its session, recovers missed \
            publications and drops duplicates, so each publication is printed once and in order, or a GAP \
            line names the offsets that cannot be recovered. When the data has an integer "seq" (as \
            demo:ticker's does), lost and duplicated seqs are counted too. SIGINT or SIGTERM closes the \
            connection and prints a summary.

            Example, against `tether demo`: tether client --url ws://127.0.0.1:8080/connection/websocket \
            --channel demo:ticker
            """
    )

    @Option(help: ArgumentHelp("A node or gateway WebSocket URL; repeat to fail over between several.", valueName: "url"))
    var url: [String] = []

    @Option(help: ArgumentHelp("A channel to subscribe to; repeat for several.", valueName: "channel"))
    var channel: [String] = []

    @Option(help: "A JWT for `connect` (omit for anonymous access where the namespace allows it).")
    var token: String?

    @Option(help: "Exit after this many publications (0: run until interrupted).")
    var count = 0

    @Option(help: "Log level for the client library: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .warning

    func validate() throws {
        if url.isEmpty { throw ValidationError("Give at least one --url (ws://HOST:PORT/connection/websocket).") }
        if channel.isEmpty { throw ValidationError("Give at least one --channel.") }
        for url in url where !(url.hasPrefix("ws://") || url.hasPrefix("wss://")) {
            throw ValidationError("--url must start with ws:// or wss:// (got \(url))")
        }
        for channel in channel {
            if let problem = ChannelName.validate(channel) { throw ValidationError("--channel \(channel): \(problem.message)") }
        }
        if count < 0 { throw ValidationError("--count must be 0 or more") }
    }

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let client = TetherClient(urls: url, configuration: .init(name: "tether-cli"))
        let tally = TerminalClientTally(limit: count)
        let states = Task { await Self.printStates(client) }
        // SIGINT/SIGTERM stop the client at any point, also while it is still trying to connect.
        let signals = Task {
            for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { break }
            guard !Task.isCancelled else { return }
            tally.interrupt()
            await client.disconnect()
        }
        defer { signals.cancel() }
        printLine("\(Self.now())  connecting to \(url.joined(separator: ", "))")
        var subscriptions: [Subscription] = []
        do {
            try await client.connect()
            for channel in channel {
                subscriptions.append(try await client.subscribe(channel))
            }
        } catch {
            if tally.interrupted {
                printLine("\(Self.now())  interrupted before the first connection")
                await states.value
                return
            }
            printLine("\(Self.now())  stopped before subscribing: \(error)")
            await client.disconnect()
            await states.value
            throw ExitCode.failure
        }
        let failure: (any Error)? = await withTaskGroup(of: (any Error)?.self) { group in
            for subscription in subscriptions {
                group.addTask { await Self.printEvents(subscription, client: client, tally: tally) }
            }
            group.addTask {
                await tally.reachedLimit()
                return nil
            }
            // The first task to finish decides: the count reached, or a subscription that ended (normally
            // after a signal stopped the client, with an error after a final close).
            let first = await group.next() ?? nil
            await client.disconnect()
            group.cancelAll()
            return first
        }
        await states.value
        printLine("\(Self.now())  \(tally.summary)")
        if let failure {
            printLine("\(Self.now())  stopped: \(failure)")
            throw ExitCode.failure
        }
    }

    /// Prints each connection state change until the client stops; a `connected` with the previous session
    /// id is a resume.
    private static func printStates(_ client: TetherClient) async {
        var session: String?
        var connected = false
        for await state in client.states {
            switch state {
            case .connecting:
                break
            case .connected(let clientID, let newSession, let node):
                if session == nil {
                    printLine("\(now())  connected to \(node) (session \(newSession), client \(clientID))")
                } else if session == newSession {
                    printLine("\(now())  reconnected to \(node): session \(newSession) resumed (client \(clientID))")
                } else {
                    printLine("\(now())  reconnected to \(node): new session \(newSession) (the old one expired) (client \(clientID))")
                }
                session = newSession
                connected = true
            case .disconnected(let code, let reconnecting):
                guard session != nil else { continue }  // the state before the first connection
                let what = connected ? "connection lost" : "reconnect attempt failed"
                printLine("\(now())  \(what) (\(code))\(reconnecting ? ", reconnecting" : "")")
                connected = false
            }
        }
    }

    /// Prints a subscription's events until it ends; returns the error it ended with, if any.
    private static func printEvents(_ subscription: Subscription, client: TetherClient, tally: TerminalClientTally) async -> (any Error)? {
        do {
            for try await event in subscription {
                switch event {
                case .publication(let publication, _):
                    let node = if case .connected(_, _, let node) = client.state { node } else { "-" }
                    let seq = try? publication.data.parsed()["seq"]?.intValue
                    let note = tally.record(channel: subscription.channel, seq: seq)
                    printLine("\(now())  \(subscription.channel)  offset \(publication.offset)  \(node)  \(publication.data)\(note)")
                case .gap(let range, let reason):
                    tally.recordGap()
                    printLine("\(now())  \(subscription.channel)  GAP offsets \(range) (\(reason.rawValue))")
                case .join(let info):
                    printLine("\(now())  \(subscription.channel)  join \(info.client) \(info.user.isEmpty ? "(anonymous)" : info.user)")
                case .leave(let info):
                    printLine("\(now())  \(subscription.channel)  leave \(info.client) \(info.user.isEmpty ? "(anonymous)" : info.user)")
                }
            }
            return nil
        } catch {
            return error
        }
    }

    private static func now() -> String {
        let milliseconds = Int64(Date().timeIntervalSince1970 * 1000) % 86_400_000
        let (hours, minutes, seconds, ms) = (milliseconds / 3_600_000, milliseconds / 60_000 % 60, milliseconds / 1000 % 60, milliseconds % 1000)
        return String(format: "%02lld:%02lld:%02lld.%03lld", hours, minutes, seconds, ms)
    }
}
