import TetherProtocol

/// One node's ``Broker`` on a ``MemoryEngine``. Every call completes synchronously under the engine's
/// lock (see ``MemoryStreams``); events reach the node's sink before `publish` returns.
///
/// After ``close()`` every other call throws ``EngineError/unavailable(_:)``; `close` may be called
/// more than once.
final class MemoryBroker: Broker {
    private let streams: MemoryStreams
    private let id: UInt64

    init(streams: MemoryStreams, node: String, sink: any BrokerEventSink) {
        self.streams = streams
        self.id = streams.attach(node: node, sink: sink)
    }

    func subscribe(_ channel: String) async throws {
        try self.streams.subscribe(self.id, to: channel)
    }

    func unsubscribe(_ channel: String) async throws {
        try self.streams.unsubscribe(self.id, from: channel)
    }

    func publish(_ request: EnginePublishRequest) async throws -> EnginePublishResult {
        try self.streams.publish(self.id, request)
    }

    func history(_ request: EngineHistoryRequest) async throws -> EngineHistoryResult {
        try self.streams.history(self.id, request)
    }

    func publishPresence(_ event: PresenceEvent, channel: String) async throws {
        try self.streams.publishPresence(self.id, event, channel: channel)
    }

    func publishControl(_ message: RawJSON) async throws {
        try self.streams.publishControl(self.id, message)
    }

    func close() async {
        self.streams.detach(self.id)
    }
}
