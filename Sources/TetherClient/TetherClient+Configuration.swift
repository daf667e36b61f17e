extension TetherClient {
    /// How a ``TetherClient`` authenticates and reconnects.
    public struct Configuration: Sendable {
        /// The JWT sent with `connect` (nil for anonymous access where the namespace allows it). Ignored when
        /// ``tokenProvider`` is set.
        public var token: String?
        /// Called for a fresh token before every connection attempt and before the current token's
        /// `expires_at` (to send `refresh`). Takes precedence over ``token``.
        public var tokenProvider: (@Sendable () async throws -> String)?
        /// Reconnect delays (default 100 ms to 10 s, full jitter). A `disconnect` push's `delay` is added.
        public var backoff: Backoff
        /// Sent as `name` in `connect` (shown in node logs).
        public var name: String?
        /// The largest inbound WebSocket message accepted, in bytes; larger ones drop the connection.
        public var maxMessageSize: Int
        /// At most this many publications per `history` read when filling a hole; larger holes take several
        /// reads. Keeps each reply well under the node's outbound queue limit (a reply over twice that limit
        /// makes the node close with 3003).
        public var fillPageSize: Int
        /// The node's `max_message_size` (default 64 KiB): a publish whose command would be larger fails
        /// locally with `112` instead of making the node close the connection with the final code `1009`.
        public var maxCommandSize: Int

        public init(
            token: String? = nil,
            tokenProvider: (@Sendable () async throws -> String)? = nil,
            backoff: Backoff = Backoff(),
            name: String? = nil,
            maxMessageSize: Int = 16 << 20,
            fillPageSize: Int = 50,
            maxCommandSize: Int = 65_536
        ) {
            self.token = token
            self.tokenProvider = tokenProvider
            self.backoff = backoff
            self.name = name
            self.maxMessageSize = maxMessageSize
            self.fillPageSize = max(1, fillPageSize)
            self.maxCommandSize = maxCommandSize
        }
    }
}
