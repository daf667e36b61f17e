/// Where the nodes of one deployment share state: fan-out, history, presence, sessions and the node
/// registry. One `Engine` value is shared by every node that should see the same channels (the memory
/// engine: nodes in one process; the Redis engine: nodes anywhere on one Redis).
///
/// Every method may be called concurrently from any task. Implementations throw ``EngineError`` only.
public protocol Engine: Sendable {
    /// Attaches one node. Events for the channels the returned broker subscribes to are delivered to
    /// `sink` (see ``BrokerEventSink`` for ordering). The node calls ``Broker/close()`` when it stops.
    func makeBroker(node: String, sink: any BrokerEventSink) async throws -> any Broker
    var presence: any PresenceManager { get }
    var sessions: any SessionStore { get }
    var registry: any NodeRegistry { get }
}

/// Why an engine call failed. Both cases mean "nothing was done" for writes: a publish that throws was
/// not assigned an offset and will not be delivered.
public enum EngineError: Error, Sendable, Hashable {
    /// The engine cannot be reached or is overloaded; retrying later may succeed (protocol error 114).
    case unavailable(String)
    /// The engine answered something it should not have (protocol error 100).
    case internalError(String)
}
