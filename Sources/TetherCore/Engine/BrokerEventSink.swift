import TetherProtocol

/// Receives what the engine fans out to one node.
///
/// Ordering: events of one channel are delivered one at a time, in offset order. The sink must not
/// block: it is called on the engine's delivery path (a lock in the memory engine, the pub/sub
/// connection's event loop in the Redis engine), so it should hand work off and return.
public protocol BrokerEventSink: AnyObject, Sendable {
    func receive(_ event: BrokerEvent)
}

public enum BrokerEvent: Sendable {
    /// A new publication of a channel this node subscribed to.
    case publication(channel: String, epoch: String, Publication)
    /// A presence change in a channel this node subscribed to.
    case presence(channel: String, PresenceEvent)
    /// A cluster-wide control message (see ``Broker/publishControl(_:)``).
    case control(RawJSON)
    /// The engine may have missed events (for example its pub/sub connection was re-established): the
    /// node must re-read history for every channel it serves to find what its clients did not get.
    case interrupted
}
