import Logging
import Synchronization
import TetherClient
import TetherProtocol

/// One `tether bench failover` client: a ``TetherClient`` (reconnect, session resume, de-duplication)
/// given every node URL in order, subscribed to one channel, its events and connection states folded into
/// a ``NodeFailoverTrack`` as they arrive.
///
/// Two tasks consume the subscription and the client's states for as long as the client runs; ``close()``
/// disconnects the client and waits for both. Thread-safe: the track is behind a mutex.
final class NodeFailoverClient: Sendable {
    let client: TetherClient
    private let track: Mutex<NodeFailoverTrack>
    private let tasks = Mutex<[Task<Void, Never>]>([])

    private init(client: TetherClient, channel: Int) {
        self.client = client
        self.track = Mutex(NodeFailoverTrack(channel: channel))
    }

    /// Connects (on the first of `urls` that accepts) with `token` and subscribes to `channelName` (channel
    /// index `channel`) from its current position. Throws when either fails; the client is then stopped.
    static func start(
        urls: [String], token: String?, channel: Int, channelName: String, name: String, backoff: Backoff
    ) async throws -> NodeFailoverClient {
        var logger = Logger(label: "tether.bench.failover")
        logger.logLevel = .critical
        let client = TetherClient(
            urls: urls,
            configuration: TetherClient.Configuration(token: token, backoff: backoff, name: name),
            logger: logger
        )
        let failover = NodeFailoverClient(client: client, channel: channel)
        // Watch states before connecting, so the first `connected` is seen.
        let watcher = Task { await failover.consumeStates(client.states) }
        let subscription: Subscription
        do {
            try await client.connect()
            subscription = try await client.subscribe(channelName)
        } catch {
            await client.disconnect()
            await watcher.value
            throw error
        }
        let events = Task { await failover.consumeEvents(subscription) }
        failover.tasks.withLock { $0 = [watcher, events] }
        return failover
    }

    /// A copy of the client's bookkeeping so far.
    var snapshot: NodeFailoverTrack { self.track.withLock { $0 } }

    /// Reads the bookkeeping under the lock (for checks that need no copy).
    func read<T>(_ body: (NodeFailoverTrack) -> T) -> T {
        self.track.withLock { body($0) }
    }

    /// Disconnects the client and waits for the recording tasks to finish.
    func close() async {
        await self.client.disconnect()
        for task in self.tasks.withLock({ $0 }) { await task.value }
    }

    private func consumeEvents(_ subscription: Subscription) async {
        do {
            for try await event in subscription {
                let now = ContinuousClock.now
                switch event {
                case .publication(let publication, let epoch):
                    let seq = NodeFailoverPayload.seq(in: publication.data.text)
                    self.track.withLock { $0.publication(offset: publication.offset, epoch: epoch, seq: seq, at: now) }
                case .gap(let range, _):
                    let count = range.to >= range.from ? range.to - range.from + 1 : 0
                    self.track.withLock { $0.gap(count: count) }
                case .join, .leave:
                    self.track.withLock { $0.joinOrLeave() }
                }
            }
            self.track.withLock { $0.end("finished") }
        } catch {
            self.track.withLock { $0.end(String(describing: error)) }
        }
    }

    private func consumeStates(_ states: AsyncStream<ConnectionState>) async {
        var connected = false
        for await state in states {
            let now = ContinuousClock.now
            switch state {
            case .connected(_, let session, let node):
                connected = true
                self.track.withLock { $0.connected(node: node, session: session, at: now) }
            case .disconnected(let code, _):
                // Only the loss of an established connection (not each failed attempt while reconnecting).
                if connected { self.track.withLock { $0.disconnected(code: code, at: now) } }
                connected = false
            case .connecting:
                break
            }
        }
    }
}
