import Synchronization
import TetherProtocol

/// Rewrites inbound messages for ``ClientGatedTransport``: drops the `pub` pushes of one channel whose
/// offsets fall in `dropped` (as a node does under the `gap` slow-consumer policy, or as a lost delivery
/// would), and, when `announce`, puts a `gap` push naming them before the next publication of the channel.
final class ClientPushFilter: Sendable {
    let channel: String
    let dropped: ClosedRange<UInt64>
    let announce: Bool
    private let announced = Mutex(false)

    init(channel: String, dropping dropped: ClosedRange<UInt64>, announce: Bool) {
        self.channel = channel
        self.dropped = dropped
        self.announce = announce
    }

    /// The rewritten message (its lines split on `\n`), nil when nothing is left of it.
    func rewrite(_ text: String) -> String? {
        var lines: [String] = []
        for line in text.split(separator: "\n") {
            guard case .push(.pub(let channel, _, let publication))? = try? ServerMessage.decode(String(line)),
                channel == self.channel
            else {
                lines.append(String(line))
                continue
            }
            if self.dropped.contains(publication.offset) { continue }
            if self.announce, publication.offset > self.dropped.upperBound,
                self.announced.withLock({ done in defer { done = true }; return !done })
            {
                let gap = Push.gap(channel: channel, missing: OffsetRange(from: self.dropped.lowerBound, to: self.dropped.upperBound))
                lines.append(gap.encoded())
            }
            lines.append(String(line))
        }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }
}
