import Logging
import TetherProtocol

extension TetherClient {
    // MARK: - Outbound

    func allocateID() -> UInt32 {
        repeat {
            self.nextID = self.nextID == UInt32.max ? 1 : self.nextID + 1
        } while self.pending[self.nextID] != nil
        return self.nextID
    }

    func write(_ command: ClientCommand) {
        self.link?.outbox.yield(command.encoded())
    }

    func send(_ request: ClientRequest) {
        let id = self.allocateID()
        self.pending[id] = .request(request)
        self.write(ClientCommand(id: id, op: request.op))
    }

    func sendIgnored(_ op: ClientCommand.Operation) {
        let id = self.allocateID()
        self.pending[id] = .ignored
        self.write(ClientCommand(id: id, op: op))
    }

    func sendSubscribe(_ channel: String) {
        guard let state = self.channels[channel] else { return }
        let id = self.allocateID()
        self.pending[id] = .subscribe(channel: channel, subscription: ObjectIdentifier(state.subscription))
        self.write(ClientCommand(id: id, op: .subscribe(SubscribeRequest(channel: channel, since: state.position))))
    }

    private func sendFill(_ channel: String, _ fill: ChannelState.Fill, attempt: Int = 0) {
        guard let state = self.channels[channel] else { return }
        let id = self.allocateID()
        self.pending[id] = .fill(channel: channel, subscription: ObjectIdentifier(state.subscription), fill: fill, attempt: attempt)
        let count = fill.target > fill.since.offset ? fill.target - fill.since.offset : 1
        let limit = min(Int(clamping: count), self.configuration.fillPageSize)
        let request = HistoryRequest(channel: channel, since: fill.since, limit: limit)
        self.write(ClientCommand(id: id, op: .history(request)))
    }

    // MARK: - Inbound

    /// One inbound text message: one or more protocol messages separated by `\n`, handled in order.
    func receive(_ text: String, generation: Int) {
        guard self.link?.generation == generation else { return }
        self.link?.lastReceived = .now
        let limits = JSONLimits(maxBytes: self.configuration.maxMessageSize)
        for line in text.utf8.split(separator: UInt8(ascii: "\n")) {
            guard let link = self.link, link.generation == generation else { return }
            let message: ServerMessage
            do {
                message = try ServerMessage.decode(line, limits: limits)
            } catch {
                self.logger.error("undecodable message from the node; dropping the connection", metadata: ["error": "\(error)"])
                link.connection.abort()
                return
            }
            switch message {
            case .push(let push): self.handle(push)
            case .reply(let id, let result): self.handleReply(id: id, .success(result))
            case .error(let id, let error): self.handleReply(id: id, .failure(error))
            }
        }
    }

    private func handle(_ push: Push) {
        switch push {
        case .pub(let channel, let epoch, let publication):
            guard var state = self.channels[channel] else { return }
            let fill = state.receive(publication, epoch: epoch)
            self.channels[channel] = state
            if let fill { self.sendFill(channel, fill) }
        case .gap(let channel, let missing):
            guard var state = self.channels[channel] else { return }
            let fill = state.receiveGap(missing)
            self.channels[channel] = state
            if let fill { self.sendFill(channel, fill) }
        case .join(let channel, let info):
            self.channels[channel]?.emitPresence(.join(info))
        case .leave(let channel, let info):
            self.channels[channel]?.emitPresence(.leave(info))
        case .disconnect(let code, let reason, let reconnect, let delayMs):
            self.lastDisconnect = (code, reason, reconnect, delayMs)
        case .ping, .unknown:
            break
        }
    }

    private func handleReply(id: UInt32, _ outcome: Result<JSONValue, ProtocolError>) {
        guard let entry = self.pending.removeValue(forKey: id) else { return }
        switch entry {
        case .connect:
            self.handleConnectReply(outcome)
        case .request(let request):
            if self.dropNextPublishReply, case .publish = request.op {
                self.dropNextPublishReply = false
                self.pending[id] = entry
                self.link?.connection.abort()
                return
            }
            switch outcome {
            case .success(let value): request.continuation.resume(returning: value)
            case .failure(let error): request.continuation.resume(throwing: error)
            }
        case .subscribe(let channel, let subscription):
            guard let state = self.channels[channel], ObjectIdentifier(state.subscription) == subscription else { return }
            switch outcome {
            case .success(let value):
                do {
                    self.applySubscribeResult(try SubscribeResult(json: value))
                } catch {
                    self.failChannel(channel, TetherClientError.invalidReply(error.message))
                }
            case .failure(let error):
                self.failChannel(channel, error)
            }
        case .fill(let channel, let subscription, let fill, let attempt):
            guard var state = self.channels[channel], ObjectIdentifier(state.subscription) == subscription else { return }
            if case .failure(let error) = outcome, error.temporary, let generation = self.link?.generation {
                // 110 (too many requests), 114, 100: the offsets are still there; ask again after a pause.
                let delay = self.configuration.backoff.cap(attempt: attempt)
                Task {
                    try? await Task.sleep(for: delay)
                    self.retryFill(channel, subscription, fill, attempt: attempt + 1, generation: generation)
                }
                return
            }
            let result = try? outcome.get()
            let history = result.flatMap { try? HistoryResult(json: $0) }
            let next = state.completeFill(id: fill.id, result: history)
            self.channels[channel] = state
            if let next { self.sendFill(channel, next) }
        case .ignored:
            break
        }
    }

    private func retryFill(_ channel: String, _ subscription: ObjectIdentifier, _ fill: ChannelState.Fill, attempt: Int, generation: Int) {
        guard self.link?.generation == generation, self.link?.established == true,
            let state = self.channels[channel], ObjectIdentifier(state.subscription) == subscription,
            state.isFilling(id: fill.id)
        else { return }
        self.sendFill(channel, fill, attempt: attempt)
    }

    private func handleConnectReply(_ outcome: Result<JSONValue, ProtocolError>) {
        guard let link = self.link else { return }
        let result: ConnectResult
        switch outcome {
        case .failure(let error):
            // The node closes the socket next (3500 for 101); the close code decides what happens.
            self.logger.warning("connect refused", metadata: ["error": "\(error)"])
            self.connectError = error
            // A temporary refusal (engine unavailable) is retried with backoff rather than waiting for the
            // node's connect timeout.
            if error.temporary { link.connection.abort() }
            return
        case .success(let value):
            do {
                result = try ConnectResult(json: value)
            } catch {
                self.logger.error("invalid connect reply", metadata: ["error": "\(error.message)"])
                link.connection.abort()
                return
            }
        }
        self.link?.established = true
        self.session = result.session
        self.attempt = 0
        var answered = Set<String>()
        for sub in result.subs {
            answered.insert(sub.channel)
            if self.channels[sub.channel] != nil {
                self.applySubscribeResult(sub)
            } else {
                // Restored from the session but unsubscribed here meanwhile.
                self.sendIgnored(.unsubscribe(channel: sub.channel))
            }
        }
        for entry in result.subErrors {
            answered.insert(entry.channel)
            self.failChannel(entry.channel, entry.error)
        }
        for (channel, state) in self.channels where state.isSubscribing && !answered.contains(channel) {
            self.sendSubscribe(channel)
        }
        self.broadcaster.emit(.connected(client: result.client, session: result.session, node: result.node))
        let waiters = self.connectWaiters.values
        self.connectWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
        let queued = self.queued
        self.queued.removeAll()
        for request in queued { self.send(request) }
        self.startWatchdog(pingMs: result.pingMs, generation: link.generation)
        self.scheduleRefresh(expiresAt: result.expiresAt, generation: link.generation)
    }

    private func applySubscribeResult(_ result: SubscribeResult) {
        guard var state = self.channels[result.channel] else { return }
        let fill = state.apply(result)
        let waiter = state.waiter
        state.waiter = nil
        self.channels[result.channel] = state
        if let fill { self.sendFill(result.channel, fill) }
        waiter?.resume(returning: state.subscription)
    }

    private func failChannel(_ channel: String, _ error: any Error) {
        guard let state = self.channels.removeValue(forKey: channel) else { return }
        if let waiter = state.waiter {
            waiter.resume(throwing: error)
        }
        state.subscription.continuation.finish(throwing: error)
    }
}
