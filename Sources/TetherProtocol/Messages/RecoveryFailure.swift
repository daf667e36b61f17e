/// Why a subscription with `since` was not fully recovered (`reason` in a subscribe result).
public enum RecoveryFailure: String, Sendable, Hashable {
    /// Same epoch, but some offsets after `since` are no longer in history: `missing` says which.
    case trimmed
    /// Another epoch (or `since` is ahead of the channel): the application must resync.
    case epoch
}
