/// One entry of a connect result's `sub_errors`: a channel that could not be subscribed and its error.
public struct ChannelError: Sendable, Hashable {
    public var channel: String
    public var error: ProtocolError

    public init(channel: String, error: ProtocolError) {
        self.channel = channel
        self.error = error
    }
}
