/// The acknowledged publications of a `tether bench failover` run, and the outcome they make with what the
/// clients received.
///
/// ``acknowledge(channel:epoch:offset:duplicate:)`` is fed by the publisher (each publication once, when
/// its `POST /api/publish` is answered 200); ``outcome(of:kill:)`` compares every client's
/// ``NodeFailoverTrack`` with the acknowledged offsets of its channel. Value type; the publisher holds one
/// behind a mutex.
struct NodeFailoverLedger: Sendable {
    /// The figures of a run.
    struct Outcome: Sendable, Equatable {
        var clients = 0
        var acknowledged = 0
        var deliveries = 0
        /// Acknowledged publications not received by a client subscribed to their channel, counted per
        /// (client, publication).
        var lost = 0
        /// Acknowledged publications that at least one subscribed client did not receive.
        var lostPublications = 0
        /// Clients that missed at least one acknowledged publication.
        var clientsWithLoss = 0
        var duplicated = 0
        var outOfOrder = 0
        var gaps = 0
        var gapOffsets: UInt64 = 0
        /// Deliveries whose data carried no sequence number of this run.
        var foreign = 0
        /// Clients whose subscription ended before the end of the run.
        var ended = 0
        /// With a kill: clients that lost their connection at or after it (they were on the killed node).
        var moved = 0
        /// Of those: connected again, and with the same session (resumed rather than started afresh).
        var reconnected = 0
        var sessionsResumed = 0
        /// Of those: received no publication after the loss.
        var notResumed = 0
        /// Per moved client that received a publication after the loss: from the kill to that publication.
        var timesToResume: [Duration] = []
        /// Per moved client that connected again: from the kill to the connection's acceptance.
        var timesToReconnect: [Duration] = []
        /// Per moved client: from the kill to the loss of its connection being seen.
        var timesToDetect: [Duration] = []
        /// Clients per node name at the kill (or at the end without a kill), and at the end.
        var nodesAtKill: [String: Int] = [:]
        var nodesAtEnd: [String: Int] = [:]
        var closeCodes: [UInt16: Int] = [:]
    }

    /// Offsets acknowledged per channel index and epoch.
    private(set) var acknowledged: [Int: [String: NodeFailoverOffsetSet]] = [:]
    private(set) var count = 0
    /// Acknowledgements flagged `duplicate` (the idempotency key was seen before: an earlier attempt made it).
    private(set) var duplicateAcks = 0
    /// Per channel: the epoch of the latest acknowledgement.
    private var latestEpoch: [Int: String] = [:]

    init() {}

    /// Records that a publication on channel index `channel` was acknowledged at (`epoch`, `offset`); an
    /// offset acknowledged before is not counted again.
    mutating func acknowledge(channel: Int, epoch: String, offset: UInt64, duplicate: Bool) {
        if self.acknowledged[channel, default: [:]][epoch, default: NodeFailoverOffsetSet()].insert(offset) { self.count += 1 }
        if duplicate { self.duplicateAcks += 1 }
        self.latestEpoch[channel] = epoch
    }

    /// The last acknowledged position of channel index `channel` (highest offset of the latest epoch).
    func lastAcknowledged(channel: Int) -> (epoch: String, offset: UInt64)? {
        guard let epoch = self.latestEpoch[channel], let offset = self.acknowledged[channel]?[epoch]?.max else { return nil }
        return (epoch, offset)
    }

    /// Whether `track` has received the last acknowledged publication of its channel (true when none was).
    func caughtUp(_ track: NodeFailoverTrack) -> Bool {
        guard let last = self.lastAcknowledged(channel: track.channel) else { return true }
        return (track.highest(in: last.epoch) ?? 0) >= last.offset
    }

    /// The outcome of the run for `tracks`; with `kill`, the failover figures relative to that instant.
    func outcome(of tracks: [NodeFailoverTrack], kill: ContinuousClock.Instant?) -> Outcome {
        var outcome = Outcome()
        outcome.clients = tracks.count
        outcome.acknowledged = self.count
        // Per channel and epoch, the offsets every subscribed client received.
        var receivedByAll: [Int: [String: NodeFailoverOffsetSet]] = [:]
        for track in tracks {
            outcome.deliveries += track.deliveries
            outcome.duplicated += track.duplicates
            outcome.outOfOrder += track.outOfOrder
            outcome.gaps += track.gaps
            outcome.gapOffsets += track.gapOffsets
            outcome.foreign += track.foreign
            if track.ended != nil { outcome.ended += 1 }
            outcome.closeCodes.merge(track.closeCodes, uniquingKeysWith: +)
            var missed = 0
            for (epoch, offsets) in self.acknowledged[track.channel] ?? [:] {
                let received = track.received[epoch] ?? NodeFailoverOffsetSet()
                missed += offsets.count - offsets.intersection(received).count
                if let common = receivedByAll[track.channel]?[epoch] {
                    receivedByAll[track.channel]![epoch] = common.intersection(received)
                } else {
                    receivedByAll[track.channel, default: [:]][epoch] = received
                }
            }
            outcome.lost += missed
            if missed > 0 { outcome.clientsWithLoss += 1 }
            if let end = track.connections.last { outcome.nodesAtEnd[end.node, default: 0] += 1 }

            guard let kill else {
                if let end = track.connections.last { outcome.nodesAtKill[end.node, default: 0] += 1 }
                continue
            }
            if let before = track.node(at: kill) { outcome.nodesAtKill[before.node, default: 0] += 1 }
            guard let recovery = track.recovery(after: kill) else { continue }
            outcome.moved += 1
            outcome.timesToDetect.append(recovery.loss.at - kill)
            if let reconnected = recovery.reconnected {
                outcome.reconnected += 1
                outcome.timesToReconnect.append(reconnected.at - kill)
                if let before = track.node(at: kill), before.session == reconnected.session { outcome.sessionsResumed += 1 }
            }
            if let first = recovery.loss.firstPublicationAfter {
                outcome.timesToResume.append(first - kill)
            } else {
                outcome.notResumed += 1
            }
        }
        for (channel, epochs) in self.acknowledged {
            guard let common = receivedByAll[channel] else { continue }  // no client on this channel
            for (epoch, offsets) in epochs {
                outcome.lostPublications += offsets.count - offsets.intersection(common[epoch] ?? NodeFailoverOffsetSet()).count
            }
        }
        return outcome
    }
}
