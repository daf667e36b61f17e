/// One message from the node: a reply (`id` and `result` or `error`) or a push.
///
/// Decoding (client side) keeps a reply's `result` as a ``JSONValue``: the client knows from the pending
/// command which result type to read it as (``ConnectResult/init(json:)`` …). Encoding (node side) should use
/// ``encodeReply(id:result:)`` with a typed result, which writes no intermediate value.
public enum ServerMessage: Sendable, Hashable {
    case reply(id: UInt32, result: JSONValue)
    case error(id: UInt32, ProtocolError)
    case push(Push)

    /// `{"id":N,"result":…}` written straight from a typed result.
    public static func encodeReply(id: UInt32, result: some JSONEncodable) -> String {
        var writer = JSONWriter(capacity: 128)
        writer.beginObject()
        writer.key("id")
        writer.number(UInt64(id))
        writer.key("result")
        result.encode(to: &writer)
        writer.endObject()
        return writer.text
    }

    /// `{"id":N,"error":{"code":…,"message":…,"temporary":…}}`.
    public static func encodeError(id: UInt32, error: ProtocolError) -> String {
        var writer = JSONWriter(capacity: 96)
        writer.beginObject()
        writer.key("id")
        writer.number(UInt64(id))
        writer.key("error")
        error.encode(to: &writer)
        writer.endObject()
        return writer.text
    }
}

extension ServerMessage: JSONEncodable {
    public func encode(to writer: inout JSONWriter) {
        switch self {
        case .reply(let id, let result):
            writer.beginObject()
            writer.key("id")
            writer.number(UInt64(id))
            writer.key("result")
            result.encode(to: &writer)
            writer.endObject()
        case .error(let id, let error):
            writer.beginObject()
            writer.key("id")
            writer.number(UInt64(id))
            writer.key("error")
            error.encode(to: &writer)
            writer.endObject()
        case .push(let push):
            push.encode(to: &writer)
        }
    }
}
