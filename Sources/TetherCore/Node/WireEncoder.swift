import TetherProtocol

/// The node's outgoing messages as protocol text: thin glue between TetherCore's types and the
/// TetherProtocol encoders, so the node's logic reads in its own terms.
enum WireEncoder {
    static func reply(_ id: UInt32, _ result: some JSONEncodable) -> String {
        ServerMessage.encodeReply(id: id, result: result)
    }

    /// A reply whose result is already encoded JSON text.
    static func reply(_ id: UInt32, result: String) -> String {
        ServerMessage.encodeReply(id: id, result: RawJSON(unchecked: result))
    }

    static func errorReply(_ id: UInt32, _ error: ProtocolError) -> String {
        ServerMessage.encodeError(id: id, error: error)
    }

    static func publicationPush(channel: String, epoch: String, publication: Publication) -> String {
        Push.pub(channel: channel, epoch: epoch, publication: publication).frame()
    }

    static func presencePush(_ event: PresenceEvent, channel: String) -> String {
        switch event {
        case .join(let info): Push.join(channel: channel, info: info).frame()
        case .leave(let info): Push.leave(channel: channel, info: info).frame()
        }
    }

    static func gapPush(channel: String, range: ClosedRange<UInt64>) -> String {
        Push.gap(channel: channel, missing: OffsetRange(from: range.lowerBound, to: range.upperBound)).frame()
    }

    static func disconnectPush(_ code: DisconnectCode, delayMilliseconds: Int?) -> String {
        Push.disconnect(code, delayMs: delayMilliseconds).frame()
    }

    static let pingPush = Push.ping.frame()

    static func publishResult(_ result: EnginePublishResult) -> String {
        TetherProtocol.PublishResult(position: result.position, duplicate: result.duplicate).encoded()
    }

    static func presenceResult(_ clients: [ClientInfo]) -> String {
        PresenceResult(clients: clients).encoded()
    }

    static func presenceStatsResult(_ stats: PresenceStats) -> String {
        PresenceStatsResult(clients: stats.clients, users: stats.users).encoded()
    }

    static func refreshResult(expiresAt: Int64?) -> String {
        RefreshResult(expiresAt: expiresAt).encoded()
    }

    static func historyResult(position: StreamPosition, publications: [Publication], missing: ClosedRange<UInt64>?, more: Bool) -> String {
        var result = TetherProtocol.HistoryResult(
            position: position, publications: publications,
            missing: missing.map { OffsetRange(from: $0.lowerBound, to: $0.upperBound) }
        )
        result.more = more
        return result.encoded()
    }
}

extension EngineError {
    /// The reply error for a failed engine call (both mean nothing was done).
    var protocolError: ProtocolError {
        switch self {
        case .unavailable(let reason): ProtocolError(.unavailable, "engine unavailable: \(reason)", temporary: true)
        case .internalError(let reason): ProtocolError(.internalError, "engine error: \(reason)", temporary: true)
        }
    }
}
