import TetherCore
import TetherProtocol

/// Fan-out to nodes: subscriptions, ordering under concurrent publishers, presence and control events
/// (Broker and BrokerEventSink contracts).
extension EngineConformance {
    static let deliveryCases: [EngineConformanceCase] = [
        EngineConformanceCase("every subscribed node receives a publication with its epoch, data and info", twoNodesReceive),
        EngineConformanceCase("events start with the first publication after subscribe returned", subscribeStartsAfter),
        EngineConformanceCase("unsubscribe stops events; subscribing again resumes them", unsubscribeStops),
        EngineConformanceCase("close stops every event to the node", closeStops),
        EngineConformanceCase("concurrent publishers on one channel: offsets 1…N, the same order for every node and history", concurrentPublishers),
        EngineConformanceCase("presence events reach the nodes subscribed to the channel only", presenceEvents),
        EngineConformanceCase("control messages reach every node, the sender included", controlMessages),
        EngineConformanceCase("a publish over the channel cap throws unavailable and publishes nothing", channelCap),
    ]

    static func twoNodesReceive(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 3) { _, nodes in
            let channel = context.name("fan-out")
            let options = context.options()
            try await nodes[0].broker.subscribe(channel)
            try await nodes[1].broker.subscribe(channel)
            try await nodes[2].broker.subscribe(context.name("fan-out-elsewhere"))
            let info = ClientInfo(client: context.name("client"), user: "user-1")
            let first = try await nodes[0].broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(1), info: info, options: options))
            let second = try await nodes[2].broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(2), options: options))
            let expected = [
                Publication(offset: 1, data: conformanceData(1), info: info),
                Publication(offset: 2, data: conformanceData(2)),
            ]
            try expectEqual(second.position, StreamPosition(offset: 2, epoch: first.position.epoch), "second position")
            for node in nodes[0...1] {
                try await node.recorder.waitForPublications(2, in: channel)
                let received = node.recorder.publications(in: channel)
                try expectEqual(received.map(\.publication), expected, "publications received by \(node.name)")
                try expectEqual(received.map(\.epoch), [first.position.epoch, first.position.epoch], "epochs received by \(node.name)")
            }
            try await context.quiet()
            try expectEqual(nodes[2].recorder.events.count, 0, "events for a node subscribed to another channel")
        }
    }

    static func subscribeStartsAfter(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 2) { _, nodes in
            let channel = context.name("late-subscriber")
            let options = context.options()
            _ = try await nodes[1].broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(1), options: options))
            try await nodes[0].broker.subscribe(channel)
            _ = try await nodes[1].broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(2), options: options))
            _ = try await nodes[1].broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(3), options: options))
            try await nodes[0].recorder.waitForPublications(2, in: channel)
            try await context.quiet()
            try expectEqual(nodes[0].recorder.publications(in: channel).map(\.publication.offset), [2, 3], "publications after subscribe returned")
        }
    }

    static func unsubscribeStops(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 2) { _, nodes in
            let channel = context.name("unsubscribe")
            let options = context.options()
            let (leaving, witness) = (nodes[0], nodes[1])
            try await leaving.broker.subscribe(channel)
            try await witness.broker.subscribe(channel)
            _ = try await witness.broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(1), options: options))
            try await leaving.recorder.waitForPublications(1, in: channel)
            try await leaving.broker.unsubscribe(channel)
            _ = try await witness.broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(2), options: options))
            try await witness.recorder.waitForPublications(2, in: channel)
            try await context.quiet()
            try expectEqual(leaving.recorder.publications(in: channel).map(\.publication.offset), [1], "publications after unsubscribe")
            try await leaving.broker.subscribe(channel)
            _ = try await witness.broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(3), options: options))
            try await leaving.recorder.waitForPublications(2, in: channel)
            try expectEqual(leaving.recorder.publications(in: channel).map(\.publication.offset), [1, 3], "publications after subscribing again")
        }
    }

    static func closeStops(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 2) { _, nodes in
            let channel = context.name("close")
            let options = context.options()
            let (closing, witness) = (nodes[0], nodes[1])
            try await closing.broker.subscribe(channel)
            try await witness.broker.subscribe(channel)
            await closing.close()
            _ = try await witness.broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(1), options: options))
            try await witness.broker.publishPresence(.join(ClientInfo(client: context.name("client"), user: "u")), channel: channel)
            let message = RawJSON(unchecked: "{\"op\":\"close-check\"}")
            try await witness.broker.publishControl(message)
            try await witness.recorder.wait(for: "publication, presence and control at the witness") { events in
                events.count >= 3
            }
            try await context.quiet()
            try expectEqual(closing.recorder.events.count, 0, "events delivered to a closed node")
        }
    }

    static func concurrentPublishers(_ context: EngineConformanceContext) async throws {
        let tasks = 4
        let perTask = 200
        let total = tasks * perTask
        try await context.withEngine(nodes: 2) { _, nodes in
            let channel = context.name("concurrent")
            let options = context.options(historySize: total + 10)
            for node in nodes {
                try await node.broker.subscribe(channel)
            }
            let brokers = nodes.map(\.broker)
            let perPublisher = try await withThrowingTaskGroup(of: [UInt64].self) { group in
                for task in 0..<tasks {
                    let broker = brokers[task % brokers.count]
                    group.addTask {
                        var offsets: [UInt64] = []
                        offsets.reserveCapacity(perTask)
                        for index in 0..<perTask {
                            let data = conformanceData(task * 10_000 + index)
                            offsets.append(try await broker.publish(EnginePublishRequest(channel: channel, data: data, options: options)).position.offset)
                        }
                        return offsets
                    }
                }
                var all: [[UInt64]] = []
                for try await offsets in group {
                    all.append(offsets)
                }
                return all
            }
            for offsets in perPublisher {
                try expect(zip(offsets, offsets.dropFirst()).allSatisfy { $0 < $1 }, "one publisher's offsets increase (per-publisher FIFO)")
            }
            try expectEqual(perPublisher.flatMap { $0 }.sorted(), (1...UInt64(total)).map { $0 }, "offsets returned to all publishers")
            let history = try await brokers[0].history(EngineHistoryRequest(channel: channel, limit: total + 10, options: options))
            try expectEqual(history.publications.map(\.offset), (1...UInt64(total)).map { $0 }, "history offsets")
            for node in nodes {
                try await node.recorder.waitForPublications(total, in: channel)
                let received = node.recorder.publications(in: channel)
                try expectEqual(received.map(\.publication.offset), (1...UInt64(total)).map { $0 }, "offsets received by \(node.name), in order")
                try expectEqual(received.map(\.publication.data), history.publications.map(\.data), "order received by \(node.name) equals history order")
                try expect(received.allSatisfy { $0.epoch == history.position.epoch }, "every event of \(node.name) carries the epoch")
            }
        }
    }

    static func presenceEvents(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 3) { _, nodes in
            let channel = context.name("presence-events")
            try await nodes[0].broker.subscribe(channel)
            try await nodes[1].broker.subscribe(channel)
            let info = ClientInfo(client: context.name("client"), user: "user-1", data: RawJSON(unchecked: "{\"role\":\"admin\"}"))
            try await nodes[2].broker.publishPresence(.join(info), channel: channel)
            try await nodes[2].broker.publishPresence(.leave(info), channel: channel)
            for node in nodes[0...1] {
                try await node.recorder.wait(for: "join and leave at \(node.name)") { $0.count >= 2 }
                let received = node.recorder.events.compactMap { event -> PresenceEvent? in
                    guard case .presence(channel, let presence) = event else { return nil }
                    return presence
                }
                try expectEqual(received, [.join(info), .leave(info)], "presence events received by \(node.name)")
            }
            try await context.quiet()
            try expectEqual(nodes[2].recorder.events.count, 0, "presence events at an unsubscribed node")
        }
    }

    static func controlMessages(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 3) { _, nodes in
            let message = RawJSON(unchecked: "{\"disconnect\":\"\(context.name("user"))\"}")
            try await nodes[1].broker.publishControl(message)
            for node in nodes {
                try await node.recorder.wait(for: "the control message at \(node.name)") { events in
                    events.contains { event in
                        if case .control(message) = event { return true }
                        return false
                    }
                }
            }
        }
    }

    static func channelCap(_ context: EngineConformanceContext) async throws {
        guard let cap = context.channelCap else { return }
        try await context.withEngine(nodes: 1) { _, nodes in
            let broker = nodes[0].broker
            let options = context.options()
            for index in 0..<cap {
                _ = try await broker.publish(EnginePublishRequest(channel: context.name("cap-\(index)"), data: conformanceData(index), options: options))
            }
            let overflow = context.name("cap-overflow")
            try await broker.subscribe(overflow)
            try await broker.subscribe(context.name("cap-0"))
            try await expectUnavailable("publish to one channel over the cap") {
                try await broker.publish(EnginePublishRequest(channel: overflow, data: conformanceData(-1), options: options))
            }
            let existing = try await broker.publish(EnginePublishRequest(channel: context.name("cap-0"), data: conformanceData(-2), options: options))
            try expectEqual(existing.position.offset, 2, "publish to a channel that has state, at the cap")
            try await nodes[0].recorder.waitForPublications(1, in: context.name("cap-0"))
            try await context.quiet()
            try expectEqual(nodes[0].recorder.publications(in: overflow).count, 0, "events for the refused publish")
        }
    }
}
