/// What one `tether bench failover` client saw: every event its subscription yielded and every connection
/// state, folded as they arrive into counters and offset sets (bounded memory however long the run).
///
/// Accounting: a publication whose offset (in its epoch) or whose sequence number this client already
/// received is a *duplicate* (delivered twice to the application); any other publication whose offset is
/// below the previous one's, in the same epoch, is *out of order*. Loss is decided later, against the
/// acknowledged offsets (``NodeFailoverLedger``). Connection losses are kept with the time of the first
/// publication received after each, so the time to resume after any loss can be read afterwards. The
/// longest interval between two consecutive deliveries (of any publication) is kept as it goes.
/// Value type; `NodeFailoverClient` holds one behind a mutex.
struct NodeFailoverTrack: Sendable {
    /// A connection accepted by a node.
    struct Connection: Sendable, Equatable {
        var node: String
        var session: String
        var at: ContinuousClock.Instant
    }

    /// A lost connection and the first publication that arrived after it.
    struct Loss: Sendable, Equatable {
        var at: ContinuousClock.Instant
        var firstPublicationAfter: ContinuousClock.Instant?
    }

    /// The channel index the client is subscribed to.
    let channel: Int
    private(set) var deliveries = 0
    private(set) var duplicates = 0
    private(set) var outOfOrder = 0
    /// Publications whose data carried no sequence number (not this run's).
    private(set) var foreign = 0
    /// Gap events the SDK yielded and the offsets they named.
    private(set) var gaps = 0
    private(set) var gapOffsets: UInt64 = 0
    private(set) var joinsAndLeaves = 0
    /// Offsets received, per epoch.
    private(set) var received: [String: NodeFailoverOffsetSet] = [:]
    private(set) var sequences = NodeFailoverOffsetSet()
    private(set) var connections: [Connection] = []
    private(set) var losses: [Loss] = []
    /// Close codes of lost connections, and how often each came.
    private(set) var closeCodes: [UInt16: Int] = [:]
    /// The longest interval between two consecutive publications delivered (zero with fewer than two).
    private(set) var longestDeliveryGap: Duration = .zero
    private var lastDeliveryAt: ContinuousClock.Instant?
    /// How the subscription ended before the client was closed (nil while it runs).
    private(set) var ended: String?
    private var last: (epoch: String, offset: UInt64)?

    init(channel: Int) {
        self.channel = channel
    }

    /// Records a publication the subscription yielded at `at`; `seq` is its data's sequence number.
    mutating func publication(offset: UInt64, epoch: String, seq: UInt64?, at: ContinuousClock.Instant) {
        self.deliveries += 1
        if let previous = self.lastDeliveryAt, at - previous > self.longestDeliveryGap { self.longestDeliveryGap = at - previous }
        if self.lastDeliveryAt.map({ at > $0 }) ?? true { self.lastDeliveryAt = at }
        // Every loss since the previous publication (two losses in a row share their first publication).
        var index = self.losses.count - 1
        while index >= 0, self.losses[index].firstPublicationAfter == nil {
            self.losses[index].firstPublicationAfter = at
            index -= 1
        }
        let newOffset = self.received[epoch, default: NodeFailoverOffsetSet()].insert(offset)
        var newSequence = true
        if let seq { newSequence = self.sequences.insert(seq) } else { self.foreign += 1 }
        if !newOffset || !newSequence {
            self.duplicates += 1
        } else if let last = self.last, last.epoch == epoch, offset < last.offset {
            self.outOfOrder += 1
        }
        self.last = (epoch, offset)
    }

    /// Records a gap event naming `count` offsets.
    mutating func gap(count: UInt64) {
        self.gaps += 1
        self.gapOffsets += count
    }

    mutating func joinOrLeave() {
        self.joinsAndLeaves += 1
    }

    /// Records a connection accepted by `node`.
    mutating func connected(node: String, session: String, at: ContinuousClock.Instant) {
        self.connections.append(Connection(node: node, session: session, at: at))
    }

    /// Records a lost connection (a `disconnected` state after being connected).
    mutating func disconnected(code: UInt16, at: ContinuousClock.Instant) {
        self.closeCodes[code, default: 0] += 1
        self.losses.append(Loss(at: at, firstPublicationAfter: nil))
    }

    /// Records that the subscription's sequence ended (`reason` says how).
    mutating func end(_ reason: String) {
        if self.ended == nil { self.ended = reason }
    }

    /// The highest offset received in `epoch`.
    func highest(in epoch: String) -> UInt64? {
        self.received[epoch]?.max
    }

    /// The node the client was connected to at `instant` (the last connection accepted before it).
    func node(at instant: ContinuousClock.Instant) -> Connection? {
        self.connections.last { $0.at <= instant }
    }

    /// The connection losses seen (closes and errors of an established connection; failed reconnect
    /// attempts are not counted).
    var closes: Int { self.losses.count }

    /// Each connection loss with the connection held before it and the first connection accepted after it.
    func recoveries() -> [(loss: Loss, before: Connection?, reconnected: Connection?)] {
        self.losses.map { loss in
            (loss, self.connections.last { $0.at <= loss.at }, self.connections.first { $0.at >= loss.at })
        }
    }

    /// The first connection loss at or after `instant`, nil when there was none.
    func firstLoss(after instant: ContinuousClock.Instant) -> Loss? {
        self.losses.first { $0.at >= instant }
    }
}
