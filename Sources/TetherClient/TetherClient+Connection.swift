import Logging
import TetherProtocol

extension TetherClient {
    /// The reconnect loop: one iteration per connection attempt, until ``stop(error:code:)``.
    func runLoop() async {
        while self.running && !Task.isCancelled {
            self.broadcaster.emit(.connecting)
            let url = await self.urlProvider(self.urlAttempt)
            var token = self.configuration.token
            if let provider = self.configuration.tokenProvider {
                do {
                    token = try await provider()
                } catch {
                    self.logger.warning("token provider failed", metadata: ["error": "\(error)"])
                    guard await self.failedAttempt() else { return }
                    continue
                }
            }
            guard self.running, !Task.isCancelled else { return }
            let connection: any TetherTransportConnection
            do {
                connection = try await self.transport.connect(to: url, maxMessageSize: self.configuration.maxMessageSize)
            } catch {
                self.logger.debug("connection attempt failed", metadata: ["url": "\(url)", "error": "\(error)"])
                guard await self.failedAttempt() else { return }
                continue
            }
            guard self.running, !Task.isCancelled else {
                connection.abort()
                return
            }
            guard await self.run(connection, token: token) else { return }
            await self.sleepBackoff()
        }
    }

    /// After an attempt that did not reach a node: reports it and waits the backoff. False when stopped.
    private func failedAttempt() async -> Bool {
        guard self.running else { return false }
        self.broadcaster.emit(.disconnected(code: DisconnectCode.abnormal.code, reconnecting: true))
        self.urlAttempt += 1
        await self.sleepBackoff()
        return self.running && !Task.isCancelled
    }

    private func sleepBackoff() async {
        var delay = self.configuration.backoff.delay(attempt: self.attempt)
        if let extra = self.lastDisconnect?.delayMs { delay += .milliseconds(extra) }
        self.attempt += 1
        self.lastDisconnect = nil
        try? await Task.sleep(for: delay)
    }

    /// Runs one connection until it ends. Returns whether to reconnect.
    private func run(_ connection: any TetherTransportConnection, token: String?) async -> Bool {
        self.generation += 1
        let generation = self.generation
        let (outbox, outboxContinuation) = AsyncStream.makeStream(of: String.self)
        let writer = Task.detached {
            for await text in outbox {
                do {
                    try await connection.send(text)
                } catch {
                    connection.abort()
                    return
                }
            }
        }
        self.link = Link(generation: generation, connection: connection, outbox: outboxContinuation, lastReceived: .now)
        self.connectError = nil
        self.lastDisconnect = nil
        self.sendConnect(token: token)

        var code: UInt16?
        var reason: String?
        for await event in connection.events {
            switch event {
            case .text(let text): self.receive(text, generation: generation)
            case .closed(let closeCode, let closeReason):
                code = closeCode
                reason = closeReason
            }
        }
        outboxContinuation.finish()
        writer.cancel()
        if Task.isCancelled { connection.abort() }
        return self.connectionEnded(generation: generation, code: code, reason: reason)
    }

    private func sendConnect(token: String?) {
        let subs = self.channels.map { SubscribeRequest(channel: $0.key, since: $0.value.position) }
        let id = self.allocateID()
        self.pending[id] = .connect
        let request = ConnectRequest(token: token, session: self.session, subs: subs, name: self.configuration.name, version: 1)
        self.write(ClientCommand(id: id, op: .connect(request)))
    }

    /// Cleans up after a connection; returns whether to reconnect (false after a final code or a stop).
    private func connectionEnded(generation: Int, code: UInt16?, reason: String?) -> Bool {
        guard let link = self.link, link.generation == generation else { return self.running }
        self.link = nil
        link.outbox.finish()
        for task in link.tasks { task.cancel() }
        guard self.running else { return false }

        var resend: [ClientRequest] = []
        for id in self.pending.keys.sorted() {
            guard case .request(let request) = self.pending[id] else { continue }
            if request.resend {
                resend.append(request)
            } else {
                request.continuation.resume(throwing: ConnectionLost())
            }
        }
        self.pending.removeAll()
        self.queued = resend + self.queued
        for channel in self.channels.keys { self.channels[channel]?.cancelFill() }

        let closeCode = code ?? DisconnectCode.abnormal.code
        var reconnect = DisconnectCode.shouldReconnect(closeCode: closeCode)
        if let push = self.lastDisconnect, !push.reconnect { reconnect = false }
        if !reconnect {
            let why = self.lastDisconnect?.reason ?? reason ?? DisconnectCode(code: closeCode).reason
            self.logger.warning("closed for good", metadata: ["code": "\(closeCode)", "reason": "\(why)"])
            self.stop(error: .closed(code: closeCode, reason: why, error: self.connectError), code: closeCode)
            return false
        }
        self.logger.debug("connection lost", metadata: ["code": "\(closeCode)"])
        self.broadcaster.emit(.disconnected(code: closeCode, reconnecting: true))
        self.urlAttempt += 1
        return true
    }

    /// Stops the client: fails or ends everything waiting, forgets the session, reports the final state.
    func stop(error: TetherClientError?, code: UInt16) {
        self.running = false
        let failure: any Error = error ?? TetherClientError.notConnected
        for entry in self.pending.values {
            if case .request(let request) = entry { request.continuation.resume(throwing: failure) }
        }
        self.pending.removeAll()
        for request in self.queued { request.continuation.resume(throwing: failure) }
        self.queued.removeAll()
        for state in self.channels.values {
            if let waiter = state.waiter {
                waiter.resume(throwing: failure)
            }
            if let error {
                state.subscription.continuation.finish(throwing: error)
            } else {
                state.subscription.continuation.finish()
            }
        }
        self.channels.removeAll()
        let waiters = self.connectWaiters.values
        self.connectWaiters.removeAll()
        for waiter in waiters { waiter.resume(throwing: failure) }
        self.session = nil
        self.attempt = 0
        self.cancelledTickets.removeAll()
        self.broadcaster.emit(.disconnected(code: code, reconnecting: false))
        self.broadcaster.finishAll()
    }

    // MARK: - Keep-alive and token refresh

    /// Declares the connection dead when nothing arrived for `2 × pingMs` (plus a second of slack).
    func startWatchdog(pingMs: Int, generation: Int) {
        guard pingMs > 0 else { return }
        let task = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(pingMs))
                guard self.checkAlive(generation: generation, limit: .milliseconds(2 * pingMs + 1000)) else { return }
            }
        }
        self.link?.tasks.append(task)
    }

    private func checkAlive(generation: Int, limit: Duration) -> Bool {
        guard let link = self.link, link.generation == generation else { return false }
        if ContinuousClock.now - link.lastReceived > limit {
            self.logger.info("no message within twice the ping interval; dropping the connection")
            link.connection.abort()
            return false
        }
        return true
    }

    /// Sends `refresh` with a token from the provider before `expiresAt` (at 80 % of the remaining time).
    func scheduleRefresh(expiresAt: Int64?, generation: Int) {
        guard let expiresAt, let provider = self.configuration.tokenProvider else { return }
        let remaining = max(0, expiresAt - WallClock.nowMilliseconds())
        let wait = Duration.milliseconds(max(remaining * 8 / 10, min(remaining, 1000)))
        let task = Task {
            try? await Task.sleep(for: wait)
            guard !Task.isCancelled else { return }
            do {
                let token = try await provider()
                let value = try await self.perform(.refresh(token: token), resend: false)
                let result = try Self.decode(RefreshResult.self, value)
                self.refreshed(expiresAt: result.expiresAt, generation: generation)
            } catch {
                self.logger.warning("token refresh failed", metadata: ["error": "\(error)"])
            }
        }
        self.link?.tasks.append(task)
    }

    private func refreshed(expiresAt: Int64?, generation: Int) {
        guard self.link?.generation == generation else { return }
        self.scheduleRefresh(expiresAt: expiresAt, generation: generation)
    }
}
