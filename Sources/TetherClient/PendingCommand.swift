import TetherProtocol

/// A command sent on the current connection and waiting for its reply, keyed by `id` in ``TetherClient``.
enum PendingCommand {
    case connect
    /// An application request; re-sent after a reconnect when `resend` (its continuation is resumed once).
    case request(ClientRequest)
    case subscribe(channel: String, subscription: ObjectIdentifier)
    /// A `history` read filling a hole in `channel`; `attempt` counts retries after temporary errors.
    case fill(channel: String, subscription: ObjectIdentifier, fill: ChannelState.Fill, attempt: Int)
    /// Fire-and-forget (an `unsubscribe`): the reply is ignored.
    case ignored
}

/// An application request waiting for a connection or for its reply.
struct ClientRequest {
    let ticket: Int
    let op: ClientCommand.Operation
    let resend: Bool
    let continuation: CheckedContinuation<JSONValue, any Error>
}

/// Thrown to internal requests (token refresh) that are not re-sent when the connection drops.
struct ConnectionLost: Error {}
