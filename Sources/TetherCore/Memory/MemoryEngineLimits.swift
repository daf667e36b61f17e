extension MemoryEngine {
    /// Bounds on what one memory engine holds, so no sequence of calls grows memory without limit.
    ///
    /// Per-channel history is bounded by each namespace's `historySize` (see ``ChannelOptions``), so
    /// the engine holds at most `maxChannels × historySize` publications.
    public struct Limits: Sendable, Hashable {
        /// Channels with state (metadata, history, idempotency keys) at most. A publish or history read
        /// that would create state for one more channel throws ``EngineError/unavailable(_:)`` (after
        /// sweeping every expired channel). Subscriptions do not count: nodes bound those.
        public var maxChannels: Int
        /// Idempotency keys remembered per channel at most; recording one more forgets the oldest.
        public var maxIdempotencyKeysPerChannel: Int
        /// Session records at most; saving a new one over the cap throws ``EngineError/unavailable(_:)``.
        public var maxSessions: Int
        /// Presence entries (over all channels) at most; adding a new one over the cap throws
        /// ``EngineError/unavailable(_:)``.
        public var maxPresenceEntries: Int
        /// How long a presence entry whose lease ran out waits for a ``PresenceManager/expire(channel:)``
        /// call before the sweep frees it without anyone announcing the leave.
        public var presenceRetention: Duration
        /// Due expiry-schedule entries each engine call looks at, besides the entries it touches.
        public var sweepBatch: Int

        public init(
            maxChannels: Int = 1_000_000,
            maxIdempotencyKeysPerChannel: Int = 10_000,
            maxSessions: Int = 1_000_000,
            maxPresenceEntries: Int = 1_000_000,
            presenceRetention: Duration = .seconds(60),
            sweepBatch: Int = 32
        ) {
            self.maxChannels = maxChannels
            self.maxIdempotencyKeysPerChannel = maxIdempotencyKeysPerChannel
            self.maxSessions = maxSessions
            self.maxPresenceEntries = maxPresenceEntries
            self.presenceRetention = presenceRetention
            self.sweepBatch = sweepBatch
        }
    }
}
