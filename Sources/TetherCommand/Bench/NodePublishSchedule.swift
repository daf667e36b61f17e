/// A fixed publishing schedule: `perSecond` publications from `start` on, whatever the node does.
///
/// ``due(at:outstanding:)`` says how many to send now. A tick that finds more than ``maxBurst`` due (the
/// loop stalled) sends ``maxBurst`` and counts the rest as skipped; so does a publisher with
/// ``maxOutstanding`` publications unacknowledged. Skipped publications are never sent later, so the offered
/// rate stays honest. Value type, owned by one publisher.
struct NodePublishSchedule: Sendable {
    static let maxBurst = 1_000
    static let maxOutstanding = 10_000

    let perSecond: Double
    /// Monotonic nanoseconds when publication 0 is due.
    let start: UInt64
    /// Publications due so far (sent or skipped).
    private(set) var planned = 0
    private(set) var skipped = 0

    init(perSecond: Double, start: UInt64) {
        self.perSecond = perSecond
        self.start = start
    }

    /// A publisher's schedule starting at a random phase within its own publication interval after `now`.
    /// Independent publishers must not all publish in the same instant: that would measure one
    /// synchronized burst of every channel's fan-out rather than a steady rate.
    static func randomPhase(perSecond: Double, now: UInt64) -> NodePublishSchedule {
        let interval = max(UInt64(1e9 / max(perSecond, 0.001)), 1)
        return NodePublishSchedule(perSecond: perSecond, start: now + UInt64.random(in: 0..<interval))
    }

    /// How many to send at `now` (monotonic nanoseconds) with `outstanding` unacknowledged.
    mutating func due(at now: UInt64, outstanding: Int) -> Int {
        guard now >= self.start else { return 0 }
        let total = Int(Double(now - self.start) / 1e9 * self.perSecond) + 1
        let due = total - self.planned
        guard due > 0 else { return 0 }
        self.planned = total
        let room = max(0, Self.maxOutstanding - outstanding)
        let send = min(due, Self.maxBurst, room)
        self.skipped += due - send
        return send
    }

    /// The tick interval: one publication's worth of time, between 0.2 ms and 10 ms.
    var tickNanoseconds: Int64 {
        Int64(min(max(1e9 / self.perSecond, 200_000), 10_000_000))
    }
}
