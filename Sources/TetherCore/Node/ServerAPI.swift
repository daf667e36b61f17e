import TetherProtocol

/// The server HTTP API (docs/protocol.md section 8) as transport-free logic: method name, the
/// `Authorization` header and the body in; status and JSON body out. TetherServer mounts it on a router.
public struct ServerAPI: Sendable {
    public struct Answer: Sendable, Hashable {
        public var status: Int
        public var body: String
    }

    let node: TetherNode

    public init(node: TetherNode) {
        self.node = node
    }

    public func handle(method: String, authorization: String?, body: [UInt8]) async -> Answer {
        guard !self.node.configuration.apiKeys.isEmpty else {
            return Self.failure(ProtocolError(.unauthorized, "the server API is disabled (no api_keys configured)"), status: 401)
        }
        guard let authorization, authorization.hasPrefix("apikey "),
            self.node.configuration.apiKeys.contains(String(authorization.dropFirst("apikey ".count)))
        else {
            return Self.failure(ProtocolError(.unauthorized, "missing or wrong API key"), status: 401)
        }
        let json: JSONValue
        do {
            json = body.isEmpty ? .object([:]) : try JSONValue.parse(body, limits: JSONLimits(maxBytes: max(body.count, 1)))
        } catch {
            return Self.failure(ProtocolError(.badRequest, "the body is not JSON: \(error)"))
        }
        guard case .object = json else {
            return Self.failure(ProtocolError(.badRequest, "the body must be a JSON object"))
        }
        do {
            switch method {
            case "publish": return try await self.publish(json)
            case "broadcast": return try await self.broadcast(json)
            case "history": return try await self.history(json)
            case "presence": return try await self.presence(json)
            case "presence_stats": return try await self.presenceStats(json)
            case "disconnect": return try await self.disconnect(json)
            case "channels": return try await self.channels(json)
            case "info": return try await self.info()
            default:
                return Self.failure(ProtocolError(.unknownOp, "unknown API method '\(method)'"), status: 404)
            }
        } catch let error as ProtocolError {
            return Self.failure(error)
        } catch let error as EngineError {
            return Self.failure(error.protocolError)
        } catch {
            return Self.failure(ProtocolError(.internalError, "\(error)"))
        }
    }

    // MARK: - Methods

    private func publish(_ json: JSONValue) async throws -> Answer {
        let channel = try Self.string(json, "channel")
        let data = try Self.data(json)
        let key = try Self.key(json)
        let result = try await self.node.publish(channel: channel, data: data, key: key)
        return Self.success(PublishResult(position: result.position, duplicate: result.duplicate))
    }

    private func broadcast(_ json: JSONValue) async throws -> Answer {
        guard let channels = json["channels"]?.arrayValue, !channels.isEmpty, channels.count <= 1000 else {
            throw ProtocolError(.badRequest, "'channels' must be an array of 1 to 1000 channel names")
        }
        let data = try Self.data(json)
        let key = try Self.key(json)
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("results")
        writer.beginArray()
        for item in channels {
            writer.beginObject()
            guard let channel = item.stringValue else {
                writer.key("error")
                writer.value(ProtocolError(.badRequest, "channel names are strings"))
                writer.endObject()
                continue
            }
            writer.key("channel")
            writer.string(channel)
            do {
                let result = try await self.node.publish(channel: channel, data: data, key: key)
                writer.key("position")
                writer.value(result.position)
            } catch let error as ProtocolError {
                writer.key("error")
                writer.value(error)
            } catch let error as EngineError {
                writer.key("error")
                writer.value(error.protocolError)
            }
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return Answer(status: 200, body: writer.text)
    }

    private func history(_ json: JSONValue) async throws -> Answer {
        let channel = try Self.string(json, "channel")
        let namespace = try self.node.namespace(for: channel)
        guard namespace.historySize > 0 else { throw ProtocolError(.notAvailable, "this namespace keeps no history") }
        var since: StreamPosition?
        if let value = json["since"], !value.isNull {
            do { since = try StreamPosition(json: value) } catch { throw ProtocolError(.badRequest, "'since' must be a position") }
        }
        let limit = json["limit"]?.intValue
        let result = try await self.node.historyReply(channel: channel, since: since, limit: limit, namespace: namespace)
        return Self.success(result)
    }

    private func presence(_ json: JSONValue) async throws -> Answer {
        let channel = try Self.string(json, "channel")
        guard try self.node.namespace(for: channel).presence else { throw ProtocolError(.notAvailable, "this namespace has no presence") }
        return Self.success(PresenceResult(clients: try await self.node.engine.presence.list(channel: channel)))
    }

    private func presenceStats(_ json: JSONValue) async throws -> Answer {
        let channel = try Self.string(json, "channel")
        guard try self.node.namespace(for: channel).presence else { throw ProtocolError(.notAvailable, "this namespace has no presence") }
        let stats = try await self.node.engine.presence.stats(channel: channel)
        return Self.success(PresenceStatsResult(clients: stats.clients, users: stats.users))
    }

    private func disconnect(_ json: JSONValue) async throws -> Answer {
        let user = try Self.string(json, "user")
        let reconnect = json["reconnect"]?.boolValue ?? true
        let code = json["code"]?.intValue.map { UInt16(clamping: $0) } ?? (reconnect ? 3000 : 3502)
        guard (3000...4999).contains(code) else { throw ProtocolError(.badRequest, "'code' must be within 3000…4999") }
        let reason = json["reason"]?.stringValue ?? (reconnect ? "reconnect requested" : "forbidden")
        try await self.node.broker.publishControl(ControlMessage.disconnect(user: user, code: DisconnectCode(code: code, reason: reason, reconnect: reconnect)).encoded)
        return Self.success(EmptyResult())
    }

    private func channels(_ json: JSONValue) async throws -> Answer {
        let prefix = json["prefix"]?.stringValue ?? ""
        var totals: [String: Int] = [:]
        for node in try await self.node.engine.registry.nodes() {
            for (channel, count) in node.channels where channel.hasPrefix(prefix) { totals[channel, default: 0] += count }
        }
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("channels")
        writer.beginObject()
        for (channel, count) in totals.sorted(by: { $0.key < $1.key }) {
            writer.key(channel)
            writer.beginObject()
            writer.key("clients")
            writer.number(count)
            writer.endObject()
        }
        writer.endObject()
        writer.endObject()
        return Answer(status: 200, body: writer.text)
    }

    private func info() async throws -> Answer {
        let nodes = try await self.node.engine.registry.nodes().sorted { $0.name < $1.name }
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("nodes")
        writer.beginArray()
        for node in nodes {
            writer.beginObject()
            writer.key("name"); writer.string(node.name)
            writer.key("version"); writer.string(node.version)
            writer.key("started_at"); writer.number(node.startedAt)
            writer.key("updated_at"); writer.number(node.updatedAt)
            writer.key("clients"); writer.number(node.clients)
            writer.key("users"); writer.number(node.users)
            writer.key("subscriptions"); writer.number(node.subscriptions)
            writer.key("channels"); writer.number(node.channels.count)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return Answer(status: 200, body: writer.text)
    }

    // MARK: - Helpers

    private static func string(_ json: JSONValue, _ key: String) throws -> String {
        guard let value = json[key]?.stringValue else { throw ProtocolError(.badRequest, "'\(key)' must be a string") }
        return value
    }

    private static func data(_ json: JSONValue) throws -> RawJSON {
        guard let value = json["data"] else { throw ProtocolError(.badRequest, "'data' is required") }
        return RawJSON(value)
    }

    private static func key(_ json: JSONValue) throws -> String? {
        guard let value = json["key"], !value.isNull else { return nil }
        guard let key = value.stringValue, PublishRequest.isValidKey(key) else {
            throw ProtocolError(.badRequest, "'key' must be 1 to 64 printable ASCII characters")
        }
        return key
    }

    private static func success(_ result: some JSONEncodable) -> Answer {
        Answer(status: 200, body: result.encoded())
    }

    private static func success(_ body: String) -> Answer {
        Answer(status: 200, body: body)
    }

    /// Error body, with the status the protocol assigns to the error's code.
    private static func failure(_ error: ProtocolError, status: Int? = nil) -> Answer {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.value(error)
        writer.endObject()
        return Answer(status: status ?? Self.status(for: error.code), body: writer.text)
    }

    static func status(for code: ErrorCode) -> Int {
        switch code {
        case .badRequest, .invalidChannel: 400
        case .unauthorized: 401
        case .permissionDenied: 403
        case .unknownNamespace, .unknownOp: 404
        case .notAvailable, .epochMismatch, .alreadySubscribed, .notSubscribed, .alreadyConnected: 409
        case .limitExceeded, .tooManyRequests: 429
        case .messageTooLarge: 413
        case .unavailable: 503
        default: 500
        }
    }
}
