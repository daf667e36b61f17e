import TetherProtocol

/// What a subscribe (or history read) with `since` gets, given the channel's history: the exact rules of
/// docs/protocol.md section 3 ("subscribe"), as pure logic.
struct RecoveryPlan: Sendable, Hashable {
    /// The channel's latest position when the history was read.
    var position: StreamPosition
    /// nil when no recovery was asked for.
    var recovered: Bool?
    var failure: RecoveryFailure?
    /// Offsets the client will never get (inclusive), when trimmed.
    var missing: OffsetRange?
    /// Publications to deliver before any live one; nil when no recovery was asked for.
    var publications: [Publication]?

    /// - Parameters:
    ///   - since: the client's position, or nil for "from now".
    ///   - history: the engine's answer to `history(after: since.offset, limit: historySize)`.
    init(since: StreamPosition?, history: EngineHistoryResult) {
        self.position = history.position
        guard let since else {
            self.recovered = nil
            self.failure = nil
            self.missing = nil
            self.publications = nil
            return
        }
        let top = history.position.offset
        guard since.epoch == history.position.epoch, since.offset <= top else {
            self.recovered = false
            self.failure = .epoch
            self.missing = nil
            self.publications = []
            return
        }
        let held = history.publications.filter { $0.offset > since.offset && $0.offset <= top }
        let firstHeld = held.first?.offset ?? top + 1
        if firstHeld == since.offset + 1 {
            self.recovered = true
            self.failure = nil
            self.missing = nil
        } else {
            self.recovered = false
            self.failure = .trimmed
            self.missing = OffsetRange(from: since.offset + 1, to: firstHeld - 1)
        }
        self.publications = held
    }

    /// The subscribe result announcing this plan, with at most `byteBudget` bytes of publications (at
    /// least one); when that cuts the list, `more` tells the client to fetch the rest with `history`.
    func result(channel: String, recoverable: Bool, byteBudget: Int) -> SubscribeResult {
        var result = SubscribeResult(
            channel: channel, position: self.position, recoverable: recoverable,
            recovered: self.recovered, reason: self.failure, missing: self.missing, publications: self.publications
        )
        if let publications = self.publications {
            let kept = Self.prefix(of: publications, byteBudget: byteBudget)
            result.publications = kept
            result.more = kept.count < publications.count
        }
        return result
    }

    /// The longest prefix of `publications` whose encoded size stays within `byteBudget` (at least one).
    static func prefix(of publications: [Publication], byteBudget: Int) -> [Publication] {
        var used = 0
        var count = 0
        for publication in publications {
            // Data plus the envelope (offset, info, punctuation).
            used += publication.data.byteCount + 32 + (publication.info.map { $0.client.utf8.count + $0.user.utf8.count + 24 } ?? 0)
            if used > byteBudget, count > 0 { break }
            count += 1
        }
        return Array(publications.prefix(count))
    }
}
