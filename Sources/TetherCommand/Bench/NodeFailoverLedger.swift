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
        /// Clients that lost their connection at least once (a node killed or drained, Redis restarted …).
        var moved = 0
        /// Of those: connected again after every loss, and with the session held before each loss (resumed
        /// rather than started afresh).
        var reconnected = 0
        var sessionsResumed = 0
        /// Of those: received no publication after one of their losses.
        var notResumed = 0
        /// Per moved client that received a publication after each loss: the longest time from a loss of
        /// its own to the first publication after it.
        var timesToResume: [Duration] = []
        /// Per moved client that connected again after each loss: the longest time from a loss to the
        /// connection's acceptance.
        var timesToReconnect: [Duration] = []
        /// With a kill, per client that lost its connection at or after it: from the kill to that loss.
        var timesToDetect: [Duration] = []
        /// Connection losses over all clients, and clients with at least one.
        var closes = 0
        var clientsWithClose = 0
        /// Per client: the longest interval between two consecutive deliveries.
        var longestDeliveryGaps: [Duration] = []
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

    /// The outcome of the run for `tracks`. Recovery figures are measured from each client's own connection
    /// losses; `kill` (the instant of a `--kill-pid` SIGKILL) adds the time from it to each loss after it, and
    /// names the nodes the clients were on at that instant.
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

            outcome.closes += track.closes
            outcome.longestDeliveryGaps.append(track.longestDeliveryGap)
            if let kill {
                if let before = track.node(at: kill) { outcome.nodesAtKill[before.node, default: 0] += 1 }
                if let loss = track.firstLoss(after: kill) { outcome.timesToDetect.append(loss.at - kill) }
            } else if let end = track.connections.last {
                outcome.nodesAtKill[end.node, default: 0] += 1
            }
            let recoveries = track.recoveries()
            guard !recoveries.isEmpty else { continue }
            outcome.moved += 1
            outcome.clientsWithClose += 1
            if recoveries.allSatisfy({ $0.reconnected != nil }) {
                outcome.reconnected += 1
                outcome.timesToReconnect.append(recoveries.map { $0.reconnected!.at - $0.loss.at }.max()!)
                if recoveries.allSatisfy({ $0.before != nil && $0.before?.session == $0.reconnected?.session }) {
                    outcome.sessionsResumed += 1
                }
            }
            if recoveries.allSatisfy({ $0.loss.firstPublicationAfter != nil }) {
                outcome.timesToResume.append(recoveries.map { $0.loss.firstPublicationAfter! - $0.loss.at }.max()!)
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
