import Testing
import TetherCore
import TetherProtocol
import TetherTesting

/// What the memory engine does beyond the engine contract: its bounds, its sweep and its epochs.
@Suite struct MemoryEngineTests {
    private static func data(_ number: Int) -> RawJSON { RawJSON(unchecked: "\(number)") }

    private static func publish(
        _ broker: any Broker, _ channel: String, _ number: Int, key: String? = nil, options: ChannelOptions
    ) async throws -> EnginePublishResult {
        try await broker.publish(EnginePublishRequest(channel: channel, data: data(number), idempotencyKey: key, options: options))
    }

    @Test func channelCapRefusesNewStateUntilChannelsExpire() async throws {
        let clock = ManualEngineClock()
        let engine = MemoryEngine(clock: clock, limits: MemoryEngine.Limits(maxChannels: 3))
        let broker = try await engine.makeBroker(node: "n", sink: EngineConformanceRecorder())
        let options = ChannelOptions(historySize: 10, metaTTL: .seconds(60))
        for index in 0..<3 {
            _ = try await Self.publish(broker, "c\(index)", index, options: options)
        }
        await #expect(throws: EngineError.self) {
            _ = try await Self.publish(broker, "c3", 3, options: options)
        }
        await #expect(throws: EngineError.self) {
            _ = try await broker.history(EngineHistoryRequest(channel: "c3", limit: 10, options: options))
        }
        // Subscriptions are not channel state; channels that have state stay usable.
        try await broker.subscribe("c3")
        #expect(try await Self.publish(broker, "c0", 9, options: options).position.offset == 2)
        #expect(engine.channelCount == 3)

        clock.advance(by: .seconds(61))
        let created = try await Self.publish(broker, "c3", 3, options: options)
        #expect(created.position.offset == 1)
        #expect(engine.channelCount == 1, "hitting the cap sweeps every expired channel first")
        await broker.close()
    }

    @Test func capErrorIsUnavailable() async throws {
        let engine = MemoryEngine(clock: ManualEngineClock(), limits: MemoryEngine.Limits(maxChannels: 0))
        let broker = try await engine.makeBroker(node: "n", sink: EngineConformanceRecorder())
        do {
            _ = try await Self.publish(broker, "c", 1, options: ChannelOptions())
            Issue.record("publish over the cap succeeded")
        } catch let error as EngineError {
            guard case .unavailable = error else {
                Issue.record("expected unavailable, got \(error)")
                return
            }
        }
    }

    @Test func idempotencyKeysPerChannelAreCappedOldestFirst() async throws {
        let engine = MemoryEngine(clock: ManualEngineClock(), limits: MemoryEngine.Limits(maxIdempotencyKeysPerChannel: 3))
        let broker = try await engine.makeBroker(node: "n", sink: EngineConformanceRecorder())
        let options = ChannelOptions(historySize: 100)
        for index in 0..<10 {
            _ = try await Self.publish(broker, "c", index, key: "k\(index)", options: options)
        }
        #expect(engine.idempotencyKeyCount(channel: "c") == 3)
        let newest = try await Self.publish(broker, "c", 99, key: "k9", options: options)
        #expect(newest == EnginePublishResult(position: StreamPosition(offset: 10, epoch: newest.position.epoch), duplicate: true))
        let evicted = try await Self.publish(broker, "c", 98, key: "k0", options: options)
        #expect(!evicted.duplicate)
        #expect(evicted.position.offset == 11)
        #expect(engine.idempotencyKeyCount(channel: "c") == 3)
        // k7 was the oldest of k7, k8, k9 and went when k0 came back.
        #expect(try await Self.publish(broker, "c", 97, key: "k7", options: options).duplicate == false)
        #expect(try await Self.publish(broker, "c", 96, key: "k9", options: options).duplicate)
    }

    @Test func sweepFreesExpiredChannelsWithoutTouchingThem() async throws {
        let clock = ManualEngineClock()
        let engine = MemoryEngine(clock: clock, limits: MemoryEngine.Limits(sweepBatch: 8))
        let broker = try await engine.makeBroker(node: "n", sink: EngineConformanceRecorder())
        let shortLived = ChannelOptions(historySize: 5, metaTTL: .seconds(10))
        let longLived = ChannelOptions(historySize: 5, metaTTL: .seconds(3600))
        for index in 0..<200 {
            _ = try await Self.publish(broker, "old-\(index)", index, options: shortLived)
        }
        _ = try await Self.publish(broker, "live", 0, options: longLived)
        #expect(engine.channelCount == 201)
        clock.advance(by: .seconds(11))
        #expect(engine.channelCount == 201, "nothing is freed before a call")
        for number in 1...30 {
            _ = try await Self.publish(broker, "live", number, options: longLived)
        }
        #expect(engine.channelCount == 1, "30 calls × 8 due entries cover the 200 expired channels")
    }

    @Test func sweepFreesExpiredHistoryAndKeysOfIdleChannels() async throws {
        let clock = ManualEngineClock()
        let engine = MemoryEngine(clock: clock, limits: MemoryEngine.Limits(sweepBatch: 8))
        let broker = try await engine.makeBroker(node: "n", sink: EngineConformanceRecorder())
        let options = ChannelOptions(historySize: 100, historyTTL: .seconds(10), metaTTL: .seconds(3600), idempotencyWindow: .seconds(10))
        for number in 0..<50 {
            _ = try await Self.publish(broker, "idle", number, key: "k\(number)", options: options)
        }
        #expect(engine.heldPublicationCount(channel: "idle") == 50)
        #expect(engine.idempotencyKeyCount(channel: "idle") == 50)
        clock.advance(by: .seconds(11))
        _ = try await Self.publish(broker, "other", 0, options: options)
        #expect(engine.heldPublicationCount(channel: "idle") == 0)
        #expect(engine.idempotencyKeyCount(channel: "idle") == 0)
        #expect(engine.channelCount == 2, "the idle channel's metadata is still alive")
    }

    @Test func sweepFreesExpiredSessions() async throws {
        let clock = ManualEngineClock()
        let engine = MemoryEngine(clock: clock, limits: MemoryEngine.Limits(sweepBatch: 8))
        for index in 0..<100 {
            try await engine.sessions.save(SessionRecord(id: "s\(index)", user: "u", subscriptions: [:]), ttl: .seconds(10))
        }
        #expect(engine.sessionCount == 100)
        clock.advance(by: .seconds(11))
        for _ in 0..<13 {
            try await engine.sessions.save(SessionRecord(id: "live", user: "u", subscriptions: [:]), ttl: .seconds(60))
        }
        #expect(engine.sessionCount == 1)
    }

    @Test func sessionCapRefusesNewRecordsOnly() async throws {
        let engine = MemoryEngine(clock: ManualEngineClock(), limits: MemoryEngine.Limits(maxSessions: 2))
        let ttl = Duration.seconds(60)
        try await engine.sessions.save(SessionRecord(id: "a", user: "u", subscriptions: [:]), ttl: ttl)
        try await engine.sessions.save(SessionRecord(id: "b", user: "u", subscriptions: [:]), ttl: ttl)
        await #expect(throws: EngineError.self) {
            try await engine.sessions.save(SessionRecord(id: "c", user: "u", subscriptions: [:]), ttl: ttl)
        }
        try await engine.sessions.save(SessionRecord(id: "a", user: "v", subscriptions: [:]), ttl: ttl)
        #expect(try await engine.sessions.load("a")?.user == "v")
        #expect(try await engine.sessions.load("c") == nil)
    }

    @Test func presenceRetentionEndsWithTheSweep() async throws {
        let clock = ManualEngineClock()
        let engine = MemoryEngine(clock: clock, limits: MemoryEngine.Limits(presenceRetention: .seconds(30), sweepBatch: 8))
        let lease = Duration.seconds(5)
        for index in 0..<40 {
            _ = try await engine.presence.add(channel: "room", info: ClientInfo(client: "c\(index)", user: "u"), lease: lease)
        }
        clock.advance(by: .seconds(6))
        #expect(try await engine.presence.list(channel: "room").isEmpty)
        #expect(engine.presenceEntryCount == 40, "expired entries wait for expire within the retention")
        clock.advance(by: .seconds(30))
        for _ in 0..<5 {
            _ = try await engine.presence.stats(channel: "elsewhere")
        }
        #expect(engine.presenceEntryCount == 0)
        #expect(try await engine.presence.expire(channel: "room").isEmpty, "entries past the retention are gone unannounced")
    }

    @Test func presenceCapRefusesNewEntriesOnly() async throws {
        let engine = MemoryEngine(clock: ManualEngineClock(), limits: MemoryEngine.Limits(maxPresenceEntries: 1))
        let lease = Duration.seconds(5)
        #expect(try await engine.presence.add(channel: "room", info: ClientInfo(client: "a", user: "u"), lease: lease))
        await #expect(throws: EngineError.self) {
            _ = try await engine.presence.add(channel: "room", info: ClientInfo(client: "b", user: "u"), lease: lease)
        }
        #expect(try await !engine.presence.add(channel: "room", info: ClientInfo(client: "a", user: "w"), lease: lease))
        #expect(try await engine.presence.list(channel: "room") == [ClientInfo(client: "a", user: "w")])
    }

    @Test func closedBrokerRefusesCalls() async throws {
        let engine = MemoryEngine(clock: ManualEngineClock())
        let recorder = EngineConformanceRecorder()
        let broker = try await engine.makeBroker(node: "n", sink: recorder)
        await broker.close()
        await broker.close()
        await #expect(throws: EngineError.self) { try await broker.subscribe("c") }
        await #expect(throws: EngineError.self) {
            _ = try await broker.publish(EnginePublishRequest(channel: "c", data: .null, options: ChannelOptions()))
        }
        await #expect(throws: EngineError.self) { try await broker.publishControl(.emptyObject) }
        #expect(engine.channelCount == 0)
        #expect(recorder.events.isEmpty)
    }

    @Test func epochsAreEightBase62Characters() async throws {
        let clock = ManualEngineClock()
        let engine = MemoryEngine(clock: clock)
        let broker = try await engine.makeBroker(node: "n", sink: EngineConformanceRecorder())
        let options = ChannelOptions(metaTTL: .seconds(1))
        var epochs = Set<String>()
        for _ in 0..<50 {
            let epoch = try await Self.publish(broker, "c", 0, options: options).position.epoch
            #expect(epoch.utf8.count == 8)
            #expect(epoch.utf8.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) })
            epochs.insert(epoch)
            clock.advance(by: .seconds(2))
        }
        #expect(epochs.count == 50, "every expiry starts a new epoch")
    }

    @Test func historyKeepsContiguousOffsetsWhenTheTTLShrinks() async throws {
        let clock = ManualEngineClock()
        let engine = MemoryEngine(clock: clock)
        let broker = try await engine.makeBroker(node: "n", sink: EngineConformanceRecorder())
        let long = ChannelOptions(historySize: 10, historyTTL: .seconds(100))
        let short = ChannelOptions(historySize: 10, historyTTL: .seconds(5))
        _ = try await Self.publish(broker, "c", 1, options: long)
        _ = try await Self.publish(broker, "c", 2, options: short)
        _ = try await Self.publish(broker, "c", 3, options: long)
        clock.advance(by: .seconds(10))
        let history = try await broker.history(EngineHistoryRequest(channel: "c", limit: 10, options: long))
        #expect(history.publications.map(\.offset) == [1, 2, 3], "a shorter TTL never cuts a hole in history")
    }
}
