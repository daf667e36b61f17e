import Synchronization
import TetherProtocol

/// The node's local subscribers per channel, and the broker subscription that feeds them.
///
/// Contract:
/// - The broker is subscribed to a channel while it has at least one local subscriber; broker
///   subscribe/unsubscribe calls for one channel run one after another in the order the subscriber
///   count crossed zero, so a quick unsubscribe + subscribe never leaves the channel unfed.
/// - ``add(_:to:)`` returns only once the broker subscription is active: every publication whose
///   offset is assigned afterwards reaches the subscriber.
/// - ``deliver(channel:epoch:publication:)`` is called by the broker sink, in offset order per channel;
///   it encodes the push once and offers it to every subscriber.
final class Hub: Sendable {
    private struct Entry {
        var subscribers: [ObjectIdentifier: ClientConnection] = [:]
        /// Snapshot for fan-out, rebuilt after a change.
        var list: [ClientConnection]?
        /// Whether the broker should be subscribed (the last requested operation).
        var wanted = false
        /// The last broker operation; the next one waits for it.
        var operation: Task<Void, any Error>?
        var operationID = 0
    }

    private let broker: any Broker
    private let channels = Mutex<[String: Entry]>([:])

    init(broker: any Broker) {
        self.broker = broker
    }

    /// Adds `connection` to `channel`'s subscribers and waits until the broker feeds the channel.
    /// On failure the connection is not subscribed.
    func add(_ connection: ClientConnection, to channel: String) async throws {
        let id = ObjectIdentifier(connection)
        let operation = self.channels.withLock { channels -> Task<Void, any Error>? in
            var entry = channels[channel] ?? Entry()
            entry.subscribers[id] = connection
            entry.list = nil
            if !entry.wanted {
                entry.wanted = true
                self.schedule(&entry, channel: channel, subscribe: true)
            }
            let operation = entry.operation
            channels[channel] = entry
            return operation
        }
        do {
            try await operation?.value
        } catch {
            self.remove(connection, from: channel)
            throw error
        }
    }

    /// Removes `connection` from `channel`; the broker is unsubscribed when it was the last one.
    func remove(_ connection: ClientConnection, from channel: String) {
        let id = ObjectIdentifier(connection)
        self.channels.withLock { channels in
            guard var entry = channels[channel], entry.subscribers.removeValue(forKey: id) != nil else { return }
            entry.list = nil
            if entry.subscribers.isEmpty, entry.wanted {
                entry.wanted = false
                self.schedule(&entry, channel: channel, subscribe: false)
            }
            channels[channel] = entry
        }
    }

    /// Local subscribers of `channel` right now.
    func subscribers(of channel: String) -> [ClientConnection] {
        self.channels.withLock { channels in
            guard var entry = channels[channel] else { return [] }
            if let list = entry.list { return list }
            let list = Array(entry.subscribers.values)
            entry.list = list
            channels[channel] = entry
            return list
        }
    }

    /// Channels with local subscribers and their counts.
    func channelCounts() -> [String: Int] {
        self.channels.withLock { channels in
            var counts: [String: Int] = [:]
            for (name, entry) in channels where !entry.subscribers.isEmpty { counts[name] = entry.subscribers.count }
            return counts
        }
    }

    func deliver(channel: String, epoch: String, publication: Publication) {
        let subscribers = self.subscribers(of: channel)
        guard !subscribers.isEmpty else { return }
        let push = WireEncoder.publicationPush(channel: channel, epoch: epoch, publication: publication)
        for connection in subscribers {
            connection.deliver(channel: channel, epoch: epoch, offset: publication.offset, push: push)
        }
    }

    /// Chains a broker (un)subscribe after the channel's previous operation. Called with the lock held.
    private func schedule(_ entry: inout Entry, channel: String, subscribe: Bool) {
        let previous = entry.operation
        entry.operationID += 1
        let id = entry.operationID
        let broker = self.broker
        entry.operation = Task {
            _ = try? await previous?.value
            do {
                if subscribe {
                    try await broker.subscribe(channel)
                } else {
                    try await broker.unsubscribe(channel)
                }
            } catch {
                self.finish(channel: channel, operationID: id, failedSubscribe: subscribe)
                throw error
            }
            self.finish(channel: channel, operationID: id, failedSubscribe: false)
        }
    }

    /// Drops the finished operation (and the entry once unused); a failed subscribe is forgotten so the
    /// next subscriber retries it.
    private func finish(channel: String, operationID: Int, failedSubscribe: Bool) {
        self.channels.withLock { channels in
            guard var entry = channels[channel], entry.operationID == operationID else { return }
            entry.operation = nil
            if failedSubscribe { entry.wanted = false }
            if entry.subscribers.isEmpty, !entry.wanted {
                channels[channel] = nil
            } else {
                channels[channel] = entry
            }
        }
    }
}
