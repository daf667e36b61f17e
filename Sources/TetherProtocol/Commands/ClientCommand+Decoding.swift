extension ClientCommand {
    /// Decodes one command frame (UTF-8 bytes). Never traps; every input yields one of the three outcomes.
    ///
    /// Rules: the frame must be one valid JSON text within `limits` whose value is an object with a plain
    /// integer `id` in 1 … 2³²−1 (not `1.0`, not `1e0`) and a string `op`, `id` not repeated; otherwise
    /// ``CommandDecoding/frameError(_:)``. Then an unknown `op` gives `104`; a repeated key, a missing or
    /// wrongly typed field, or a `key` that is not 1–64 printable ASCII characters gives `107`. Optional fields
    /// set to `null` count as absent; unknown keys are ignored. Channel names are not checked here (see
    /// ``ChannelName``). `data` is kept as canonical ``RawJSON`` (see ``RawJSON/init(validating:limits:)-(String,_)``).
    public static func decode(_ bytes: some Collection<UInt8>, limits: JSONLimits = .default) -> CommandDecoding {
        do {
            return Self.decode(envelope: try JSONEnvelope.parse(bytes, limits: limits, isKnown: Self.isKnownKey))
        } catch {
            return .frameError(FrameError(.invalidJSON(error)))
        }
    }

    /// Decodes one command frame given as text, as ``decode(_:limits:)-(some Collection<UInt8>,_)``.
    public static func decode(_ text: String, limits: JSONLimits = .default) -> CommandDecoding {
        do {
            return Self.decode(envelope: try JSONEnvelope.parse(text, limits: limits, isKnown: Self.isKnownKey))
        } catch {
            return .frameError(FrameError(.invalidJSON(error)))
        }
    }

    private static func isKnownKey(_ key: String) -> Bool {
        switch key {
        case "id", "op", "channel", "since", "limit", "key", "token", "session", "subs", "name", "version": true
        default: false
        }
    }

    private static func decode(envelope outcome: JSONEnvelope.Outcome) -> CommandDecoding {
        guard case .object(let envelope) = outcome else { return .frameError(FrameError(.notAnObject)) }
        let fields = envelope.fields
        if envelope.duplicateKey == "id" { return .frameError(FrameError(.duplicateKey("id"))) }
        guard let idValue = fields["id"]?.uint64Value, idValue >= 1, idValue <= UInt64(UInt32.max) else {
            return .frameError(FrameError(.invalidID))
        }
        let id = UInt32(idValue)
        guard let op = fields["op"]?.stringValue else { return .frameError(FrameError(.invalidOp)) }
        if let duplicate = envelope.duplicateKey {
            return .invalid(id: id, ProtocolError(.badRequest, "duplicate key \"\(duplicate)\""))
        }
        do {
            guard let operation = try Self.operation(op, fields: fields, data: envelope.data) else {
                let shown = op.utf8.count <= 32 ? op : String(op.prefix(32)) + "…"
                return .invalid(id: id, ProtocolError(.unknownOp, "unknown op \"\(shown)\""))
            }
            return .command(ClientCommand(id: id, op: operation))
        } catch {
            return .invalid(id: id, ProtocolError(.badRequest, error.message))
        }
    }

    /// The operation named `op`, nil when the name is unknown.
    private static func operation(
        _ op: String,
        fields: JSONObject,
        data: RawJSON?
    ) throws(JSONShapeError) -> Operation? {
        switch op {
        case "connect": .connect(try ConnectRequest(fields: fields))
        case "subscribe": .subscribe(try SubscribeRequest(fields: fields))
        case "unsubscribe": .unsubscribe(channel: try fields.string("channel"))
        case "publish": .publish(try PublishRequest(fields: fields, data: data))
        case "history": .history(try HistoryRequest(fields: fields))
        case "presence": .presence(channel: try fields.string("channel"))
        case "presence_stats": .presenceStats(channel: try fields.string("channel"))
        case "refresh": .refresh(token: try fields.string("token"))
        case "ping": .ping
        default: nil
        }
    }
}
