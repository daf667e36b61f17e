import TetherProtocol

/// One subscribed channel inside ``TetherClient``: its position and the delivery rules that make the
/// application see each publication once, in order, with every hole reported as a gap (docs/protocol.md,
/// sections 2 and 7).
///
/// Not thread-safe: owned by the client actor. Yields into the subscription's stream and keeps
/// ``Subscription/position`` equal to the last offset yielded.
struct ChannelState {
    let subscription: Subscription
    /// "Everything up to here has been yielded"; nil until the first subscribe result when subscribing
    /// without `since`.
    private(set) var position: StreamPosition? {
        didSet { self.subscription.setPosition(self.position) }
    }
    private(set) var phase: Phase
    /// The ``TetherClient/subscribe(_:since:)`` call waiting for the first subscribe result.
    var waiter: CheckedContinuation<Subscription, any Error>?
    private var fillCounter = 0

    enum Phase {
        /// Waiting for the subscribe result; pushes are not expected and ignored.
        case subscribing
        /// Delivering pushes as they come.
        case active
        /// Fetching offsets up to `target` with `history`; pushes wait in `buffer` meanwhile.
        case filling(id: Int, target: UInt64, buffer: [Buffered])
    }

    enum Buffered {
        case pub(epoch: String, Publication)
        case gap(OffsetRange)
    }

    /// A `history` read the client must send: publications after `since`, up to and including `target`.
    struct Fill: Equatable {
        var id: Int
        var since: StreamPosition
        var target: UInt64
    }

    init(subscription: Subscription, position: StreamPosition?, waiter: CheckedContinuation<Subscription, any Error>?) {
        self.subscription = subscription
        self.position = position
        self.phase = .subscribing
        self.waiter = waiter
    }

    var isSubscribing: Bool {
        if case .subscribing = self.phase { return true }
        return false
    }

    var isActive: Bool {
        if case .subscribing = self.phase { return false }
        return true
    }

    // MARK: - Subscribe results

    /// Applies a subscribe result (from `subscribe` or from `connect.subs` on a resume): recovered
    /// publications, the `missing` range as a gap in its place, or an epoch gap. Cancels any fill (the
    /// result supersedes it). When the result was cut (`more`), returns the fill that fetches the rest
    /// (pushes wait meanwhile); otherwise the position is now the result's `position`.
    mutating func apply(_ result: SubscribeResult) -> Fill? {
        self.phase = .active
        let latest = result.position
        switch result.recovered {
        case true?:
            for publication in result.publications ?? [] { self.emitInOrder(publication, epoch: latest.epoch) }
        case false? where result.reason == .epoch:
            self.emitEpochGap(upTo: latest)
        case false?:
            if let missing = result.missing {
                if self.position == nil || self.position?.epoch != latest.epoch {
                    self.position = StreamPosition(offset: missing.from &- 1, epoch: latest.epoch)
                }
                self.emitGap(through: missing.to)
            }
            for publication in result.publications ?? [] { self.emitInOrder(publication, epoch: latest.epoch) }
        case nil:
            if let position = self.position, position.epoch != latest.epoch {
                self.emitEpochGap(upTo: latest)
            }
        }
        if result.more, let position = self.position, position.epoch == latest.epoch, position.offset < latest.offset {
            return self.startFill(target: latest.offset, buffer: [])
        }
        if let position = self.position, position.epoch == latest.epoch {
            if position.offset < latest.offset { self.emitGap(through: latest.offset) }
        }
        self.position = latest
        return nil
    }

    // MARK: - Pushes

    /// A `pub` push. Returns a fill to start when it reveals a hole (offset > position + 1).
    mutating func receive(_ publication: Publication, epoch: String) -> Fill? {
        switch self.phase {
        case .subscribing:
            return nil
        case .filling(let id, let target, var buffer):
            buffer.append(.pub(epoch: epoch, publication))
            self.phase = .filling(id: id, target: target, buffer: buffer)
            return nil
        case .active:
            break
        }
        guard let position = self.position else {
            self.emitInOrder(publication, epoch: epoch)
            return nil
        }
        if epoch != position.epoch {
            self.emitEpochGap(upTo: StreamPosition(offset: publication.offset &- 1, epoch: epoch))
            self.emitInOrder(publication, epoch: epoch)
            return nil
        }
        if publication.offset <= position.offset + 1 {
            self.emitInOrder(publication, epoch: epoch)
            return nil
        }
        return self.startFill(target: publication.offset - 1, buffer: [.pub(epoch: epoch, publication)])
    }

    /// A `gap` push: offsets `missing` were not sent. Returns a fill to fetch them.
    mutating func receiveGap(_ missing: OffsetRange) -> Fill? {
        switch self.phase {
        case .subscribing:
            return nil
        case .filling(let id, let target, var buffer):
            buffer.append(.gap(missing))
            self.phase = .filling(id: id, target: target, buffer: buffer)
            return nil
        case .active:
            break
        }
        guard let position = self.position, missing.to > position.offset else { return nil }
        return self.startFill(target: missing.to, buffer: [])
    }

    func emitPresence(_ event: SubscriptionEvent) {
        if self.isActive { self.subscription.continuation.yield(event) }
    }

    // MARK: - Fills

    private mutating func startFill(target: UInt64, buffer: [Buffered]) -> Fill? {
        guard let position = self.position else { return nil }
        self.fillCounter += 1
        self.phase = .filling(id: self.fillCounter, target: target, buffer: buffer)
        return Fill(id: self.fillCounter, since: position, target: target)
    }

    /// The `history` reply for fill `id` (nil when it failed). Yields what it brought, reports what history
    /// no longer has as a gap, then replays the pushes that waited. Returns the next fill to send, if the
    /// reply did not reach the target yet or a buffered push revealed another hole.
    mutating func completeFill(id: Int, result: HistoryResult?) -> Fill? {
        guard case .filling(let current, let target, let buffer) = self.phase, current == id,
            let start = self.position
        else { return nil }
        if let result, result.position.epoch == start.epoch {
            if let missing = result.missing, missing.to > start.offset {
                self.emitGap(through: Swift.min(missing.to, target))
            }
            for publication in result.publications where publication.offset <= target {
                self.emitInOrder(publication, epoch: start.epoch)
            }
            // A page cut by the node's frame cap (`more`) or by the page size: ask for the next one.
            if let reached = self.position, reached.offset < target, reached.offset > start.offset,
                result.position.offset >= target
            {
                return Fill(id: id, since: reached, target: target)
            }
        }
        if let position = self.position, position.epoch == start.epoch, position.offset < target {
            self.emitGap(through: target)
        }
        self.phase = .active
        return self.replay(buffer)
    }

    /// Drops a fill in progress and what it buffered (after a lost connection: the resume recovers all of
    /// it from the unchanged position).
    mutating func cancelFill() {
        if case .filling = self.phase { self.phase = .active }
    }

    private mutating func replay(_ buffer: [Buffered]) -> Fill? {
        for (index, item) in buffer.enumerated() {
            let fill: Fill?
            switch item {
            case .pub(let epoch, let publication): fill = self.receive(publication, epoch: epoch)
            case .gap(let missing): fill = self.receiveGap(missing)
            }
            if var fill {
                if case .filling(let id, let target, var rest) = self.phase {
                    rest.append(contentsOf: buffer[(index + 1)...])
                    // One fill for every hole still waiting in the buffer (the publications between them are
                    // fetched again and dropped as duplicates), rather than one history read per hole.
                    var extended = target
                    if let epoch = self.position?.epoch, let end = Self.lastHoleEnd(in: rest[...], after: target, epoch: epoch) {
                        extended = Swift.max(target, end)
                    }
                    self.phase = .filling(id: id, target: extended, buffer: rest)
                    fill.target = extended
                }
                return fill
            }
        }
        return nil
    }

    /// The last offset of the last hole among buffered pushes following a delivery up to `start`: a gap
    /// push, or a publication beyond the next expected offset. Nil when they are contiguous.
    static func lastHoleEnd(in items: ArraySlice<Buffered>, after start: UInt64, epoch: String) -> UInt64? {
        var expected = start + 1
        var end: UInt64?
        for item in items {
            switch item {
            case .pub(let itemEpoch, let publication):
                guard itemEpoch == epoch else { return end }
                if publication.offset > expected { end = publication.offset - 1 }
                expected = Swift.max(expected, publication.offset + 1)
            case .gap(let missing):
                if missing.to >= expected {
                    end = missing.to
                    expected = missing.to + 1
                }
            }
        }
        return end
    }

    /// Whether fill `id` is the one in progress.
    func isFilling(id: Int) -> Bool {
        if case .filling(let current, _, _) = self.phase { return current == id }
        return false
    }

    // MARK: - Emitting

    /// Yields `publication` unless it is a duplicate (offset ≤ position, same epoch); a hole before it is
    /// reported as a trimmed gap first.
    private mutating func emitInOrder(_ publication: Publication, epoch: String) {
        if let position = self.position, position.epoch == epoch {
            if publication.offset <= position.offset { return }
            if publication.offset > position.offset + 1 { self.emitGap(through: publication.offset - 1) }
        }
        self.subscription.continuation.yield(.publication(publication, epoch: epoch))
        self.position = StreamPosition(offset: publication.offset, epoch: epoch)
    }

    /// Reports offsets position+1 … `to` as trimmed and moves the position to `to`.
    private mutating func emitGap(through to: UInt64) {
        guard let position = self.position, to > position.offset else { return }
        self.subscription.continuation.yield(.gap(OffsetRange(from: position.offset + 1, to: to), reason: .trimmed))
        self.position = StreamPosition(offset: to, epoch: position.epoch)
    }

    /// Reports that the channel restarted: offsets 1 … `latest.offset` of the new epoch are not delivered.
    private mutating func emitEpochGap(upTo latest: StreamPosition) {
        self.subscription.continuation.yield(.gap(OffsetRange(from: 1, to: latest.offset), reason: .epoch))
        self.position = latest
    }
}
