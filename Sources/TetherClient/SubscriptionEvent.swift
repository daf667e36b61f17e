import TetherProtocol

/// What a ``Subscription`` yields, in channel order.
///
/// Contract: publications come exactly once and in offset order within an epoch. Whenever some offsets
/// cannot be delivered, a ``gap(_:reason:)`` names them, in its place in the order: it comes after every
/// publication before the range and before every publication after it.
public enum SubscriptionEvent: Sendable, Hashable {
    /// A publication of the channel, with the epoch its offset belongs to.
    case publication(Publication, epoch: String)
    /// Offsets that will never be delivered. `reason` ``RecoveryFailure/trimmed``: history no longer holds
    /// them (the range is exact). ``RecoveryFailure/epoch``: the channel restarted (its history was lost);
    /// the range is the new epoch's offsets before the next delivered one (possibly empty, `from` 1) and
    /// the application should resync its state from its own source of truth.
    case gap(OffsetRange, reason: RecoveryFailure)
    /// A connection joined the channel (namespaces with join/leave pushes).
    case join(ClientInfo)
    /// A connection left the channel.
    case leave(ClientInfo)
}
