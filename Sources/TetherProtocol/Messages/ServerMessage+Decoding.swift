extension ServerMessage {
    /// Decodes one frame from the node (client side). A `pub` push's `data` is captured as canonical
    /// ``RawJSON`` without building a ``JSONValue``.
    ///
    /// Throws when the frame is not valid JSON within `limits`, not an object, repeats a known key, has
    /// neither `push` nor a valid `id`, has both or neither of `result`/`error`, or a known push kind lacks a
    /// field or has one of the wrong type. Unknown push kinds decode as ``Push/unknown(kind:)``; unknown keys
    /// are ignored.
    public static func decode(_ bytes: some Collection<UInt8>, limits: JSONLimits = .default) throws(FrameError)
        -> ServerMessage
    {
        let outcome: JSONEnvelope.Outcome
        do {
            outcome = try JSONEnvelope.parse(bytes, limits: limits, isKnown: Self.isKnownKey)
        } catch {
            throw FrameError(.invalidJSON(error))
        }
        return try Self.decode(envelope: outcome)
    }

    /// Decodes one frame given as text, as ``decode(_:limits:)-(some Collection<UInt8>,_)``.
    public static func decode(_ text: String, limits: JSONLimits = .default) throws(FrameError) -> ServerMessage {
        let outcome: JSONEnvelope.Outcome
        do {
            outcome = try JSONEnvelope.parse(text, limits: limits, isKnown: Self.isKnownKey)
        } catch {
            throw FrameError(.invalidJSON(error))
        }
        return try Self.decode(envelope: outcome)
    }

    private static func isKnownKey(_ key: String) -> Bool {
        switch key {
        case "id", "result", "error", "push", "channel", "offset", "epoch", "info", "from", "to", "code", "reason",
            "reconnect", "delay":
            true
        default: false
        }
    }

    private static func decode(envelope outcome: JSONEnvelope.Outcome) throws(FrameError) -> ServerMessage {
        guard case .object(let envelope) = outcome else { throw FrameError(.notAnObject) }
        if let duplicate = envelope.duplicateKey { throw FrameError(.duplicateKey(duplicate)) }
        let fields = envelope.fields
        do {
            if let kind = fields["push"] {
                guard let kind = kind.stringValue else { throw JSONShapeError.wrongType("push", "a string") }
                return .push(try Self.push(kind, fields: fields, data: envelope.data))
            }
            guard let idValue = fields["id"] else { throw JSONShapeError("neither \"push\" nor \"id\"") }
            guard let id = idValue.uint64Value, id >= 1, id <= UInt64(UInt32.max) else {
                throw FrameError(.invalidID)
            }
            switch (fields["result"], fields["error"]) {
            case (let result?, nil):
                guard result.objectValue != nil else { throw JSONShapeError.wrongType("result", "an object") }
                return .reply(id: UInt32(id), result: result)
            case (nil, let error?):
                return .error(id: UInt32(id), try ProtocolError(json: error))
            default:
                throw JSONShapeError("a reply needs exactly one of \"result\" and \"error\"")
            }
        } catch let error as JSONShapeError {
            throw FrameError(.invalidMessage(error.message))
        } catch let error as FrameError {
            throw error
        } catch {
            throw FrameError(.invalidMessage("\(error)"))
        }
    }

    private static func push(_ kind: String, fields: JSONObject, data: RawJSON?) throws(JSONShapeError) -> Push {
        switch kind {
        case "pub":
            guard let data else { throw .missing("data") }
            let publication = Publication(
                offset: try fields.uint64("offset"),
                data: data,
                info: try Publication.identity(fields.optional("info"))
            )
            return .pub(channel: try fields.string("channel"), epoch: try fields.string("epoch"), publication: publication)
        case "join":
            return .join(channel: try fields.string("channel"), info: try fields.decode("info"))
        case "leave":
            return .leave(channel: try fields.string("channel"), info: try fields.decode("info"))
        case "gap":
            return .gap(channel: try fields.string("channel"), missing: try OffsetRange(fields: fields))
        case "disconnect":
            let code = try fields.uint64("code")
            guard code <= UInt64(UInt16.max) else { throw .wrongType("code", "a close code (0 to 65535)") }
            return .disconnect(
                code: UInt16(code),
                reason: try fields.string("reason"),
                reconnect: try fields.bool("reconnect"),
                delayMs: try fields.optionalCount("delay")
            )
        case "ping":
            return .ping
        default:
            return .unknown(kind: kind)
        }
    }
}
