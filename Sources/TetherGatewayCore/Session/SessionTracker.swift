import TetherProtocol

/// Session mode's bookkeeping for one client: the gateway speaks the Tether protocol to the client and to
/// a node, and this value decides what crosses, so the client's connection can outlive its node
/// (docs/protocol.md is the contract on both sides). Pure: the relay that owns it does the I/O.
///
/// What it keeps: the client's `connect` (token, name, version), the session id the node gave it, every
/// confirmed subscription with the last position delivered to the client, and every request in flight.
/// Command ids are translated (client id ↔ upstream id, upstream ids unique for the session), so requests
/// the gateway makes itself never collide with the client's.
///
/// Re-binding: ``startRebind()`` gives the `connect` for the next node (same token, session id, each channel
/// since its delivered position). Its reply is swallowed; recovered publications become `pub` pushes,
/// minus anything at or below a delivered offset; a channel the node could not recover gets a `gap` push
/// with the exact missing range; a truncated recovery (`more`) is completed with history requests of the
/// gateway's own. Then in-flight requests are sent again (publishes carry an idempotency key: the tracker
/// adds one when the client did not, so a repeat is applied once) and the commands the client sent
/// meanwhile follow, in order.
///
/// Bounds: at most ``Limits/maxInFlight`` requests in flight and ``Limits/maxQueuedBytes`` of commands held
/// during a re-bind; beyond either, the caller must disconnect the client with a reconnect code.
///
/// Ownership and threading: a value type; one owner (the session's relay, on its event loop) mutates it.
public struct SessionTracker: Sendable {
    public struct Limits: Sendable, Hashable {
        public var maxInFlight: Int
        public var maxQueuedBytes: Int

        public init(maxInFlight: Int = 1_000, maxQueuedBytes: Int = 1 << 20) {
            self.maxInFlight = maxInFlight
            self.maxQueuedBytes = maxQueuedBytes
        }
    }

    /// Why the session cannot continue; the caller closes the client (with `closeCode`).
    public enum Failure: Error, Sendable, Hashable {
        /// The client broke the protocol (the frame error's close code applies).
        case clientFrame(FrameError)
        /// More requests in flight, or more bytes held during a re-bind, than the limits allow.
        case backlogFull
        /// The next node refused to resume the session (the client must reconnect and recover itself).
        case rebindRefused(ProtocolError)
        /// The node sent something that is not the protocol.
        case upstreamFrame(String)

        /// How to close the client: the frame error's code, or "reconnect" (the client resumes its session
        /// itself through another connection).
        public var closeCode: DisconnectCode {
            switch self {
            case .clientFrame(let error): error.closeCode
            case .backlogFull, .rebindRefused, .upstreamFrame: .shutdown
            }
        }
    }

    /// What crosses after one frame or event, in order.
    public struct Output: Sendable, Hashable {
        /// Text frames for the node.
        public var toUpstream: [String] = []
        /// Text frames for the client.
        public var toClient: [String] = []
        /// The node told the client to go away with a reconnect code: re-bind instead of forwarding it.
        public var rebind = false
        /// The node ended the session for good (a final disconnect code): it was forwarded; close the client.
        public var closeClient: DisconnectCode?

        public init() {}
    }

    private enum Origin: Sendable, Hashable {
        /// A client request, answered to the client under its own id.
        case client(id: UInt32)
        /// The gateway's `connect` of a re-bind.
        case rebindConnect
        /// The gateway's history read completing a truncated recovery of `channel`.
        case recoveryHistory(channel: String)
        /// The gateway's subscribe for a channel the client subscribed to while a migration's `connect`
        /// was on its way (the old node confirmed it; the new one does not know it yet).
        case resubscribe(channel: String)
        /// The gateway's unsubscribe for a channel the client left while a migration's `connect` (which
        /// still named it) was on its way.
        case leave(channel: String)
    }

    private struct Request: Sendable, Hashable {
        var origin: Origin
        /// The command as sent upstream (its id is the upstream id).
        var command: ClientCommand
        /// Written to the node the session is bound to (false: held during a re-bind).
        var sent = true

        var isFromClient: Bool {
            if case .client = self.origin { return true }
            return false
        }
    }

    private struct Channel: Sendable, Hashable {
        /// The last position the client was given (a recovered or live publication, or the subscribe
        /// reply's position); nil until the subscription is confirmed.
        var delivered: StreamPosition?
    }

    public let limits: Limits
    /// The session id the node gave, once connected.
    public private(set) var sessionID: String?
    /// True from ``startRebind()`` until the new node answered the `connect`.
    public var isRebinding: Bool { self.rebindConnectID != nil }

    private var connect: ConnectRequest?
    private var channels: [String: Channel] = [:]
    private var inFlight: [UInt32: Request] = [:]
    /// Upstream ids in the order they were sent (re-sent in this order).
    private var sendOrder: [UInt32] = []
    private var nextID: UInt32 = 1
    private var rebindConnectID: UInt32?
    /// Client requests to send once a re-bind completes (those in flight at its start, then those that
    /// arrived during it, in order), and the bytes of the latter.
    private var held: [UInt32] = []
    private var heldBytes = 0
    /// The channels the re-bind's `connect` named.
    private var rebindChannels: Set<String> = []
    /// Channels whose recovery did not fit in the `connect` reply and is being completed with history reads:
    /// their live publications wait here (text, epoch, offset) until it is, so none overtakes the missing
    /// ones; their bytes count against ``Limits/maxQueuedBytes``.
    private var catchingUp: [String: [(text: String, epoch: String, offset: UInt64)]] = [:]
    private var catchingUpBytes = 0
    /// Channels the client left during a migration that the new node still has: dropped until it confirms
    /// the gateway's unsubscribe.
    private var discarding: Set<String> = []
    private let keyPrefix: String
    private var nextKey: UInt64 = 1

    /// - Parameter keyPrefix: starts the idempotency keys the tracker adds to publishes (unique per session).
    public init(keyPrefix: String, limits: Limits = Limits()) {
        self.keyPrefix = keyPrefix
        self.limits = limits
    }

    /// The last position delivered to the client on `channel` (nil if not subscribed or not confirmed).
    public func deliveredPosition(_ channel: String) -> StreamPosition? {
        self.channels[channel]?.delivered
    }

    /// Channels with a confirmed subscription.
    public var subscribedChannels: [String] { self.channels.keys.sorted() }

    /// Requests in flight (sent or held, not answered).
    public var inFlightCount: Int { self.inFlight.count }

    /// Whether a truncated recovery is still being completed.
    public var isCatchingUp: Bool { !self.catchingUp.isEmpty }

    /// Whether the session may start a migration: no re-bind under way and none of the gateway's own
    /// requests (catch-up reads, a carried-over subscribe or unsubscribe) outstanding, since a migration's
    /// `connect` would void them while the old node still serves the session.
    public var isSettled: Bool {
        !self.isRebinding && self.catchingUp.isEmpty && self.discarding.isEmpty && self.inFlight.values.allSatisfy(\.isFromClient)
    }

    /// Whether live publications of `channel` are held back (the relay's fast path must not forward them).
    public func isHolding(_ channel: String) -> Bool { self.catchingUp[channel] != nil || self.discarding.contains(channel) }

    /// Publications a re-bind recovered and forwarded to the client, since the session started.
    public private(set) var replayedCount = 0
    /// Publications dropped because the client already had them, since the session started.
    public private(set) var duplicatesDropped = 0

    // MARK: - Client → node

    /// One text frame from the client (commands joined by `\n`).
    public mutating func fromClient(_ text: String) throws(Failure) -> Output {
        var output = Output()
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            switch ClientCommand.decode(String(line)) {
            case .command(let command):
                try self.accept(command, bytes: line.utf8.count, into: &output)
            case .invalid(let id, let error):
                output.toClient.append(ServerMessage.encodeError(id: id, error: error))
            case .frameError(let error):
                throw .clientFrame(error)
            }
        }
        return output
    }

    private mutating func accept(_ command: ClientCommand, bytes: Int, into output: inout Output) throws(Failure) {
        guard self.inFlight.count < self.limits.maxInFlight else { throw .backlogFull }
        var op = command.op
        switch op {
        case .connect(let request):
            self.connect = request
        case .refresh(let token):
            self.connect?.token = token
        case .publish(var request) where request.key == nil:
            request.key = "\(self.keyPrefix)-\(self.nextKey)"
            self.nextKey += 1
            op = .publish(request)
        default:
            break
        }
        let id = self.allocateID()
        let upstream = ClientCommand(id: id, op: op)
        self.inFlight[id] = Request(origin: .client(id: command.id), command: upstream, sent: !self.isRebinding)
        self.sendOrder.append(id)
        if self.isRebinding {
            guard self.heldBytes + bytes <= self.limits.maxQueuedBytes else { throw .backlogFull }
            self.held.append(id)
            self.heldBytes += bytes
        } else {
            output.toUpstream.append(upstream.encoded())
        }
    }

    private mutating func allocateID() -> UInt32 {
        defer { self.nextID = self.nextID == UInt32.max ? 1 : self.nextID + 1 }
        return self.nextID
    }

    // MARK: - Node → client

    /// One text frame from the node (messages joined by `\n`).
    public mutating func fromUpstream(_ text: String) throws(Failure) -> Output {
        var output = Output()
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let message: ServerMessage
            do {
                message = try ServerMessage.decode(String(line))
            } catch {
                throw .upstreamFrame("\(error)")
            }
            try self.handle(message, text: String(line), into: &output)
            if output.rebind || output.closeClient != nil { break }
        }
        return output
    }

    private mutating func handle(_ message: ServerMessage, text: String, into output: inout Output) throws(Failure) {
        switch message {
        case .reply(let id, let result):
            guard let request = self.finish(id) else { return }
            switch request.origin {
            case .client(let clientID):
                self.noteReply(to: request.command.op, result: result)
                output.toClient.append(ServerMessage.reply(id: clientID, result: result).encoded())
            case .rebindConnect:
                try self.completeRebind(result, into: &output)
            case .recoveryHistory(let channel):
                self.deliverRecovered(channel: channel, result: result, into: &output)
            case .resubscribe(let channel):
                guard let sub = try? SubscribeResult(json: result) else { throw .upstreamFrame("unreadable subscribe result") }
                self.deliverRecovered(channel: channel, sub: sub, into: &output)
            case .leave(let channel):
                self.discarding.remove(channel)
            }
        case .error(let id, let error):
            guard let request = self.finish(id) else { return }
            switch request.origin {
            case .client(let clientID):
                output.toClient.append(ServerMessage.encodeError(id: clientID, error: error))
            case .rebindConnect:
                throw .rebindRefused(error)
            case .recoveryHistory, .resubscribe:
                // The rest of the recovery cannot be read: the client must recover by itself.
                throw .rebindRefused(error)
            case .leave(let channel):
                self.discarding.remove(channel)
            }
        case .push(.pub(let channel, let epoch, let publication)):
            if self.catchingUp[channel] != nil {
                self.catchingUpBytes += text.utf8.count
                guard self.catchingUpBytes <= self.limits.maxQueuedBytes else { throw .backlogFull }
                self.catchingUp[channel]?.append((text, epoch, publication.offset))
            } else if self.advance(channel: channel, epoch: epoch, offset: publication.offset) {
                output.toClient.append(text)
            }
        case .push(.disconnect(let code, let reason, let reconnect, _)):
            if reconnect {
                output.rebind = true
            } else {
                output.toClient.append(text)
                output.closeClient = DisconnectCode(code: code, reason: reason, reconnect: false)
            }
        case .push:
            output.toClient.append(text)
        }
    }

    /// A live `pub` push recognised by its head alone (``PubPushHeader``, the relay's fast path): true when
    /// the client gets it, false when it already has it. Exactly what ``fromUpstream(_:)`` does with a `pub`
    /// of a channel that is not held (``isHolding(_:)``: the fast path leaves those to ``fromUpstream(_:)``).
    public mutating func livePublication(_ header: PubPushHeader) -> Bool {
        self.advance(channel: header.channel, epoch: header.epoch, offset: header.offset)
    }

    /// Removes and returns the request `id` answers (nil for an unknown id, ignored).
    private mutating func finish(_ id: UInt32) -> Request? {
        guard let request = self.inFlight.removeValue(forKey: id) else { return nil }
        if let index = self.sendOrder.firstIndex(of: id) { self.sendOrder.remove(at: index) }
        return request
    }

    /// Learns from a reply to a client request: the session id, confirmed subscriptions and positions.
    private mutating func noteReply(to op: ClientCommand.Operation, result: JSONValue) {
        switch op {
        case .connect:
            guard let connected = try? ConnectResult(json: result) else { return }
            self.sessionID = connected.session
            for sub in connected.subs { self.confirm(sub) }
        case .subscribe:
            if let sub = try? SubscribeResult(json: result) { self.confirm(sub) }
        case .unsubscribe(let channel):
            self.channels[channel] = nil
            if let waiting = self.catchingUp.removeValue(forKey: channel) {
                self.catchingUpBytes -= waiting.reduce(0) { $0 + $1.text.utf8.count }
            }
        default:
            break
        }
    }

    /// A confirmed subscription: the client is at the last recovered publication, or at the channel's
    /// position when nothing was left out.
    private mutating func confirm(_ sub: SubscribeResult) {
        self.discarding.remove(sub.channel)
        if sub.more, let last = sub.publications?.last {
            self.channels[sub.channel] = Channel(delivered: StreamPosition(offset: last.offset, epoch: sub.position.epoch))
        } else {
            self.channels[sub.channel] = Channel(delivered: sub.position)
        }
    }

    /// Moves `channel` forward to (epoch, offset); false if the client already has it (drop it).
    private mutating func advance(channel: String, epoch: String, offset: UInt64) -> Bool {
        if self.discarding.contains(channel) { return false }
        guard var state = self.channels[channel] else { return true }  // not tracked: pass through
        if let delivered = state.delivered, delivered.epoch == epoch, offset <= delivered.offset {
            self.duplicatesDropped += 1
            return false
        }
        state.delivered = StreamPosition(offset: offset, epoch: epoch)
        self.channels[channel] = state
        return true
    }

    // MARK: - Re-binding

    /// Starts moving the session to another node: the frames to send on the new upstream connection, once
    /// it is open. Before the client's `connect` was answered there is no session to resume: everything in
    /// flight (that `connect` included) is simply sent again.
    public mutating func startRebind() -> Output {
        var output = Output()
        guard let sessionID = self.sessionID, var connect = self.connect else {
            output.toUpstream = self.sendOrder.compactMap { self.inFlight[$0]?.command.encoded() }
            return output
        }
        connect.session = sessionID
        connect.subs = self.channels.keys.sorted().map { channel in
            SubscribeRequest(channel: channel, since: self.channels[channel]?.delivered)
        }
        self.rebindChannels = Set(self.channels.keys)
        // Client requests sent to the old node are re-sent once the new node answered (held like new ones);
        // the gateway's own requests to the old node are void, and so are its catch-ups (the new `connect`
        // recovers from what the client has).
        for (id, request) in self.inFlight where !request.isFromClient { self.inFlight[id] = nil }
        self.sendOrder.removeAll { self.inFlight[$0] == nil }
        self.held = self.sendOrder
        self.catchingUp = [:]
        self.catchingUpBytes = 0
        self.discarding = []
        let id = self.allocateID()
        let command = ClientCommand(id: id, op: .connect(connect))
        self.inFlight[id] = Request(origin: .rebindConnect, command: command)
        self.rebindConnectID = id
        output.toUpstream.append(command.encoded())
        return output
    }

    /// Calls off a migration whose new node failed before answering, while the old node still serves the
    /// session: the requests the client sent meanwhile go to the old node after all (those it already had
    /// stay in flight there). No-op when not re-binding.
    public mutating func cancelRebind() -> Output {
        var output = Output()
        guard let connectID = self.rebindConnectID else { return output }
        self.rebindConnectID = nil
        self.inFlight[connectID] = nil
        for id in self.held where self.inFlight[id]?.sent == false {
            self.inFlight[id]?.sent = true
            if let request = self.inFlight[id] { output.toUpstream.append(request.command.encoded()) }
        }
        self.held = []
        self.heldBytes = 0
        return output
    }

    /// The new node answered the re-bind's `connect`. Checked before anything changes: a refusal (of the
    /// session or of one channel) leaves the tracker re-binding, so a retry elsewhere starts from the same
    /// positions and the client's commands stay held.
    private mutating func completeRebind(_ result: JSONValue, into output: inout Output) throws(Failure) {
        guard let connected = try? ConnectResult(json: result) else { throw .upstreamFrame("unreadable connect result") }
        if let failure = connected.subErrors.first {
            // The node refused a channel the client holds (permissions changed, or its engine is away).
            throw .rebindRefused(failure.error)
        }
        self.rebindConnectID = nil
        self.sessionID = connected.session
        for sub in connected.subs where self.channels[sub.channel] == nil {
            // Left during the migration (the old node confirmed it): leave it on the new node too.
            self.discarding.insert(sub.channel)
            self.sendInternal(.unsubscribe(channel: sub.channel), origin: .leave(channel: sub.channel), into: &output)
        }
        for sub in connected.subs where self.channels[sub.channel] != nil {
            self.deliverRecovered(channel: sub.channel, sub: sub, into: &output)
        }
        for channel in self.channels.keys.sorted() where !self.rebindChannels.contains(channel) {
            // Joined during the migration (the old node confirmed it): join it on the new node too.
            let since = self.channels[channel]?.delivered
            self.sendInternal(.subscribe(SubscribeRequest(channel: channel, since: since)), origin: .resubscribe(channel: channel), into: &output)
        }
        // In flight before, then what the client sent meanwhile, in order.
        for id in self.held {
            self.inFlight[id]?.sent = true
            if let request = self.inFlight[id] { output.toUpstream.append(request.command.encoded()) }
        }
        self.held = []
        self.heldBytes = 0
    }

    /// Recovered publications of a re-bind's `connect` → `pub` pushes (and a `gap` for what is lost; a
    /// history read for what did not fit).
    private mutating func deliverRecovered(channel: String, sub: SubscribeResult, into output: inout Output) {
        let before = self.channels[channel]?.delivered
        if sub.recovered == false, let missing = sub.missing, let gap = self.unseen(missing, channel: channel, epoch: sub.position.epoch) {
            output.toClient.append(Push.gap(channel: channel, missing: gap).frame())
        }
        for publication in sub.publications ?? [] where self.advance(channel: channel, epoch: sub.position.epoch, offset: publication.offset) {
            self.replayedCount += 1
            output.toClient.append(Push.pub(channel: channel, epoch: sub.position.epoch, publication: publication).frame())
        }
        if sub.more, let delivered = self.channels[channel]?.delivered {
            self.catchingUp[channel] = self.catchingUp[channel] ?? []
            self.requestHistory(channel: channel, since: delivered, into: &output)
        } else if self.channels[channel] != nil, (sub.publications ?? []).isEmpty, before?.epoch != sub.position.epoch {
            // Another epoch with nothing to replay: the client is where a fresh subscribe would put it; the
            // next publication's epoch tells it to resync.
            self.channels[channel]?.delivered = sub.position
        }
    }

    private mutating func deliverRecovered(channel: String, result: JSONValue, into output: inout Output) {
        guard let history = try? HistoryResult(json: result), let delivered = self.channels[channel]?.delivered else {
            return self.releaseHeld(channel: channel, into: &output)
        }
        if let missing = history.missing, let gap = self.unseen(missing, channel: channel, epoch: history.position.epoch) {
            output.toClient.append(Push.gap(channel: channel, missing: gap).frame())
        }
        for publication in history.publications where self.advance(channel: channel, epoch: history.position.epoch, offset: publication.offset) {
            self.replayedCount += 1
            output.toClient.append(Push.pub(channel: channel, epoch: history.position.epoch, publication: publication).frame())
        }
        if history.more, let now = self.channels[channel]?.delivered, now != delivered {
            self.requestHistory(channel: channel, since: now, into: &output)
        } else {
            self.releaseHeld(channel: channel, into: &output)
        }
    }

    /// What of a range the node could not recover the client has not had: during a migration the old node
    /// keeps delivering while the new one answers, so part of it (or all) may have reached the client meanwhile.
    private func unseen(_ missing: OffsetRange, channel: String, epoch: String) -> OffsetRange? {
        guard let delivered = self.channels[channel]?.delivered, delivered.epoch == epoch else { return missing }
        guard missing.to > delivered.offset else { return nil }
        return OffsetRange(from: max(missing.from, delivered.offset + 1), to: missing.to)
    }

    /// A catch-up is complete: the live publications held meanwhile follow, minus what it already gave.
    private mutating func releaseHeld(channel: String, into output: inout Output) {
        guard let waiting = self.catchingUp.removeValue(forKey: channel) else { return }
        for publication in waiting {
            self.catchingUpBytes -= publication.text.utf8.count
            if self.advance(channel: channel, epoch: publication.epoch, offset: publication.offset) {
                output.toClient.append(publication.text)
            }
        }
    }

    private mutating func sendInternal(_ op: ClientCommand.Operation, origin: Origin, into output: inout Output) {
        let id = self.allocateID()
        let command = ClientCommand(id: id, op: op)
        self.inFlight[id] = Request(origin: origin, command: command)
        self.sendOrder.append(id)
        output.toUpstream.append(command.encoded())
    }

    private mutating func requestHistory(channel: String, since: StreamPosition, into output: inout Output) {
        self.sendInternal(.history(HistoryRequest(channel: channel, since: since)), origin: .recoveryHistory(channel: channel), into: &output)
    }
}

extension ClientCommand {
    /// The command as one compact JSON text frame.
    fileprivate func encoded() -> String {
        var writer = JSONWriter()
        self.encode(to: &writer)
        return writer.text
    }
}
