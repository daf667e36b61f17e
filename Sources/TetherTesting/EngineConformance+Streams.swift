import TetherCore
import TetherProtocol

/// Offsets, epochs, history and idempotency (Broker contract, protocol sections 2 and 3).
extension EngineConformance {
    static let streamCases: [EngineConformanceCase] = [
        EngineConformanceCase("offsets are 1, 2, 3 without holes in one stable epoch", offsetsWithoutHoles),
        EngineConformanceCase("an empty channel's position is stable across reads and the first publish", emptyChannelPosition),
        EngineConformanceCase("history returns held publications after an offset, oldest first, at most limit", historyReads),
        EngineConformanceCase("history is trimmed to historySize from the oldest end", historyTrimmedBySize),
        EngineConformanceCase("historySize 0 keeps nothing but still assigns offsets", historySizeZero),
        EngineConformanceCase("history entries expire after historyTTL", historyTrimmedByTTL),
        EngineConformanceCase("an idempotent repeat returns the first result, marked duplicate, and publishes nothing", idempotentRepeat),
        EngineConformanceCase("idempotency keys are per channel", idempotencyPerChannel),
        EngineConformanceCase("an idempotency key is forgotten after the window", idempotencyWindowEnds),
        EngineConformanceCase("metadata expires after metaTTL and the next publish starts a new epoch at 1", metadataExpiry),
        EngineConformanceCase("publishes and history reads keep metadata alive", metadataKeptAlive),
    ]

    static func offsetsWithoutHoles(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 2) { _, nodes in
            let channel = context.name("offsets")
            let options = context.options()
            var epoch: String?
            for number in 1...6 {
                let broker = nodes[number % 2].broker
                let result = try await broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(number), options: options))
                try expectEqual(result.position.offset, UInt64(number), "offset of publication \(number) (nodes share one sequence)")
                try expect(!result.duplicate, "a publish without a key is never a duplicate")
                if let epoch {
                    try expectEqual(result.position.epoch, epoch, "epoch of publication \(number)")
                } else {
                    try expect(!result.position.epoch.isEmpty, "the epoch is not empty")
                    epoch = result.position.epoch
                }
            }
            let other = try await nodes[0].broker.publish(EnginePublishRequest(channel: context.name("offsets-other"), data: conformanceData(0), options: options))
            try expectEqual(other.position.offset, 1, "another channel has its own offsets")
            let history = try await nodes[1].broker.history(EngineHistoryRequest(channel: channel, limit: 100, options: options))
            try expectEqual(history.publications.map(\.offset), Array(1...6), "history offsets")
            try expectEqual(history.publications.map(\.data), (1...6).map(conformanceData), "history data in publish order")
            try expectEqual(history.position, StreamPosition(offset: 6, epoch: epoch ?? ""), "history position")
        }
    }

    static func emptyChannelPosition(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 2) { _, nodes in
            let channel = context.name("empty")
            let options = context.options()
            let first = try await nodes[0].broker.history(EngineHistoryRequest(channel: channel, limit: 0, options: options))
            try expectEqual(first.position.offset, 0, "offset of a channel without publications")
            try expect(!first.position.epoch.isEmpty, "a channel without publications still has an epoch")
            try expectEqual(first.publications.count, 0, "publications of an empty channel")
            let second = try await nodes[0].broker.history(EngineHistoryRequest(channel: channel, limit: 10, options: options))
            try expectEqual(second.position, first.position, "position on a second read")
            try expectEqual(second.publications.count, 0, "publications of an empty channel")
            let fromOtherNode = try await nodes[1].broker.history(EngineHistoryRequest(channel: channel, limit: 10, options: options))
            try expectEqual(fromOtherNode.position, first.position, "position read by another node")
            let published = try await nodes[1].broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(1), options: options))
            try expectEqual(published.position, StreamPosition(offset: 1, epoch: first.position.epoch), "first publication after the reads")
        }
    }

    static func historyReads(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 1) { _, nodes in
            let broker = nodes[0].broker
            let channel = context.name("history")
            let options = context.options(historySize: 10)
            let info = ClientInfo(client: context.name("client"), user: "user-1")
            var epoch = ""
            for number in 1...5 {
                let result = try await broker.publish(EnginePublishRequest(
                    channel: channel, data: conformanceData(number), info: number.isMultiple(of: 2) ? info : nil, options: options))
                epoch = result.position.epoch
            }
            let position = StreamPosition(offset: 5, epoch: epoch)
            func read(after: UInt64?, limit: Int) async throws -> EngineHistoryResult {
                let result = try await broker.history(EngineHistoryRequest(channel: channel, after: after, limit: limit, options: options))
                try expectEqual(result.position, position, "position of history(after: \(String(describing: after)), limit: \(limit))")
                return result
            }
            let all = try await read(after: nil, limit: 100)
            try expectEqual(all.publications.map(\.offset), [1, 2, 3, 4, 5], "history without after")
            try expectEqual(all.publications.map(\.data), (1...5).map(conformanceData), "history data")
            try expectEqual(all.publications.map(\.info), [nil, info, nil, info, nil], "history info")
            try expectEqual(try await read(after: 2, limit: 2).publications.map(\.offset), [3, 4], "after 2, limit 2")
            try expectEqual(try await read(after: 0, limit: 3).publications.map(\.offset), [1, 2, 3], "after 0, limit 3")
            try expectEqual(try await read(after: nil, limit: 2).publications.map(\.offset), [1, 2], "oldest first with a limit")
            try expectEqual(try await read(after: 4, limit: 100).publications.map(\.offset), [5], "after 4")
            try expectEqual(try await read(after: 5, limit: 100).publications.count, 0, "after the latest offset")
            try expectEqual(try await read(after: 9, limit: 100).publications.count, 0, "after an offset ahead of the channel")
            try expectEqual(try await read(after: nil, limit: 0).publications.count, 0, "limit 0 returns only the position")
        }
    }

    static func historyTrimmedBySize(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 1) { _, nodes in
            let broker = nodes[0].broker
            let channel = context.name("trimmed")
            let options = context.options(historySize: 3)
            var last = EnginePublishResult(position: StreamPosition(offset: 0, epoch: ""))
            for number in 1...5 {
                last = try await broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(number), options: options))
            }
            try expectEqual(last.position.offset, 5, "offset of the fifth publication")
            let all = try await broker.history(EngineHistoryRequest(channel: channel, limit: 100, options: options))
            try expectEqual(all.publications.map(\.offset), [3, 4, 5], "the newest historySize publications are held")
            try expectEqual(all.publications.map(\.data), (3...5).map(conformanceData), "held data")
            try expectEqual(all.position, last.position, "position")
            let afterTrimmed = try await broker.history(EngineHistoryRequest(channel: channel, after: 1, limit: 100, options: options))
            try expectEqual(afterTrimmed.publications.map(\.offset), [3, 4, 5], "after a trimmed offset: from the oldest held, never a partial middle")
            let afterHeld = try await broker.history(EngineHistoryRequest(channel: channel, after: 3, limit: 1, options: options))
            try expectEqual(afterHeld.publications.map(\.offset), [4], "after a held offset")
        }
    }

    static func historySizeZero(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 1) { _, nodes in
            let broker = nodes[0].broker
            let channel = context.name("no-history")
            let options = context.options(historySize: 0)
            try await broker.subscribe(channel)
            var epoch = ""
            for number in 1...3 {
                let result = try await broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(number), options: options))
                try expectEqual(result.position.offset, UInt64(number), "offset without history")
                epoch = result.position.epoch
            }
            let history = try await broker.history(EngineHistoryRequest(channel: channel, limit: 100, options: options))
            try expectEqual(history.publications.count, 0, "publications held with historySize 0")
            try expectEqual(history.position, StreamPosition(offset: 3, epoch: epoch), "position without history")
            try await nodes[0].recorder.waitForPublications(3, in: channel)
            try expectEqual(nodes[0].recorder.publications(in: channel).map(\.publication.offset), [1, 2, 3], "fan-out without history")
        }
    }

    static func historyTrimmedByTTL(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 1) { _, nodes in
            let broker = nodes[0].broker
            let channel = context.name("history-ttl")
            let options = context.options(historySize: 10, historyTTL: context.ttl, metaTTL: context.ttl(20, 1))
            let first = try await broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(1), options: options))
            _ = try await broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(2), options: options))
            let fresh = try await broker.history(EngineHistoryRequest(channel: channel, limit: 100, options: options))
            try expectEqual(fresh.publications.map(\.offset), [1, 2], "held before historyTTL")
            try await context.waitPast(context.ttl)
            let expired = try await broker.history(EngineHistoryRequest(channel: channel, limit: 100, options: options))
            try expectEqual(expired.publications.count, 0, "publications held after historyTTL")
            try expectEqual(expired.position, StreamPosition(offset: 2, epoch: first.position.epoch), "position outlives history")
            let third = try await broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(3), options: options))
            try expectEqual(third.position, StreamPosition(offset: 3, epoch: first.position.epoch), "offsets continue after history expired")
            let after = try await broker.history(EngineHistoryRequest(channel: channel, after: 1, limit: 100, options: options))
            try expectEqual(after.publications.map(\.offset), [3], "only the new publication is held")
        }
    }

    static func idempotentRepeat(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 2) { _, nodes in
            let channel = context.name("idempotent")
            let options = context.options()
            let publisher = nodes[0].broker
            let witness = nodes[1]
            try await witness.broker.subscribe(channel)
            let key = "key-1"
            let first = try await publisher.publish(EnginePublishRequest(channel: channel, data: conformanceData(1), idempotencyKey: key, options: options))
            try expectEqual(first.position.offset, 1, "first publish with a key")
            try expect(!first.duplicate, "the first publish with a key is not a duplicate")
            let repeated = try await publisher.publish(EnginePublishRequest(channel: channel, data: conformanceData(2), idempotencyKey: key, options: options))
            try expectEqual(repeated, EnginePublishResult(position: first.position, duplicate: true), "repeat with the same key")
            let unkeyed = try await publisher.publish(EnginePublishRequest(channel: channel, data: conformanceData(3), options: options))
            try expectEqual(unkeyed.position.offset, 2, "the repeat took no offset")
            let fromOtherNode = try await witness.broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(4), idempotencyKey: key, options: options))
            try expectEqual(fromOtherNode, EnginePublishResult(position: first.position, duplicate: true), "repeat from another node, after a later publish")
            let history = try await publisher.history(EngineHistoryRequest(channel: channel, limit: 100, options: options))
            try expectEqual(history.publications.map(\.data), [conformanceData(1), conformanceData(3)], "history holds no repeat")
            try await witness.recorder.waitForPublications(2, in: channel)
            try await context.quiet()
            try expectEqual(witness.recorder.publications(in: channel).map(\.publication.data), [conformanceData(1), conformanceData(3)], "no event for a repeat")
        }
    }

    static func idempotencyPerChannel(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 1) { _, nodes in
            let broker = nodes[0].broker
            let options = context.options()
            let channelA = context.name("keys-a")
            let channelB = context.name("keys-b")
            let a = try await broker.publish(EnginePublishRequest(channel: channelA, data: conformanceData(1), idempotencyKey: "shared", options: options))
            let b = try await broker.publish(EnginePublishRequest(channel: channelB, data: conformanceData(2), idempotencyKey: "shared", options: options))
            try expect(!a.duplicate && !b.duplicate, "the same key on two channels is two publications")
            try expectEqual(b.position.offset, 1, "offset on the second channel")
            let repeatA = try await broker.publish(EnginePublishRequest(channel: channelA, data: conformanceData(3), idempotencyKey: "shared", options: options))
            let repeatB = try await broker.publish(EnginePublishRequest(channel: channelB, data: conformanceData(4), idempotencyKey: "shared", options: options))
            try expectEqual(repeatA, EnginePublishResult(position: a.position, duplicate: true), "repeat on the first channel")
            try expectEqual(repeatB, EnginePublishResult(position: b.position, duplicate: true), "repeat on the second channel")
            let other = try await broker.publish(EnginePublishRequest(channel: channelA, data: conformanceData(5), idempotencyKey: "other", options: options))
            try expectEqual(other, EnginePublishResult(position: StreamPosition(offset: 2, epoch: a.position.epoch)), "another key on the same channel")
        }
    }

    static func idempotencyWindowEnds(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 1) { _, nodes in
            let broker = nodes[0].broker
            let channel = context.name("key-window")
            let options = context.options(metaTTL: context.ttl(20, 1), idempotencyWindow: context.ttl)
            let first = try await broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(1), idempotencyKey: "k", options: options))
            let within = try await broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(2), idempotencyKey: "k", options: options))
            try expect(within.duplicate, "a repeat within the window is a duplicate")
            try await context.waitPast(context.ttl)
            let after = try await broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(3), idempotencyKey: "k", options: options))
            try expectEqual(after, EnginePublishResult(position: StreamPosition(offset: 2, epoch: first.position.epoch)), "a repeat after the window publishes")
            let again = try await broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(4), idempotencyKey: "k", options: options))
            try expectEqual(again, EnginePublishResult(position: after.position, duplicate: true), "the key is remembered anew")
            let history = try await broker.history(EngineHistoryRequest(channel: channel, limit: 100, options: options))
            try expectEqual(history.publications.map(\.data), [conformanceData(1), conformanceData(3)], "history")
        }
    }

    static func metadataExpiry(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 1) { _, nodes in
            let broker = nodes[0].broker
            let channel = context.name("meta-expiry")
            let options = context.options(historySize: 10, historyTTL: context.ttl, metaTTL: context.ttl)
            _ = try await broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(1), options: options))
            let old = try await broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(2), options: options))
            try await context.waitPast(context.ttl)
            let renewed = try await broker.publish(EnginePublishRequest(channel: channel, data: conformanceData(3), options: options))
            try expectEqual(renewed.position.offset, 1, "offset after the metadata expired")
            try expect(renewed.position.epoch != old.position.epoch, "a new epoch after the metadata expired (both \(old.position.epoch))")
            try expect(!renewed.position.epoch.isEmpty, "the new epoch is not empty")
            let history = try await broker.history(EngineHistoryRequest(channel: channel, limit: 100, options: options))
            try expectEqual(history.position, renewed.position, "position in the new epoch")
            try expectEqual(history.publications.map(\.data), [conformanceData(3)], "only the new epoch's publication is held")
        }
    }

    static func metadataKeptAlive(_ context: EngineConformanceContext) async throws {
        try await context.withEngine(nodes: 1) { _, nodes in
            let broker = nodes[0].broker
            let options = context.options(historySize: 0, metaTTL: context.ttl)
            let read = context.name("meta-read")
            let written = context.name("meta-written")
            let readFirst = try await broker.publish(EnginePublishRequest(channel: read, data: conformanceData(1), options: options))
            let writtenFirst = try await broker.publish(EnginePublishRequest(channel: written, data: conformanceData(1), options: options))
            for round in 1...2 {
                try await context.waitPast(context.ttl(6, 10))
                let history = try await broker.history(EngineHistoryRequest(channel: read, limit: 0, options: options))
                try expectEqual(history.position, readFirst.position, "position after read round \(round)")
                let result = try await broker.publish(EnginePublishRequest(channel: written, data: conformanceData(round + 1), options: options))
                try expectEqual(result.position, StreamPosition(offset: UInt64(round + 1), epoch: writtenFirst.position.epoch), "publish round \(round)")
            }
            let publish = try await broker.publish(EnginePublishRequest(channel: read, data: conformanceData(2), options: options))
            try expectEqual(publish.position, StreamPosition(offset: 2, epoch: readFirst.position.epoch), "a channel kept alive by reads keeps its epoch")
        }
    }
}
