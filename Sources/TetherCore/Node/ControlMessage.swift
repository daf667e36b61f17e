import TetherProtocol

/// Cluster-wide commands nodes send each other through ``Broker/publishControl(_:)``.
enum ControlMessage: Sendable, Hashable {
    /// Close every connection of `user` with `code`.
    case disconnect(user: String, code: DisconnectCode)

    init?(_ message: RawJSON) {
        guard let json = try? message.parsed(), json["op"]?.stringValue == "disconnect",
            let user = json["user"]?.stringValue, let code = json["code"]?.intValue
        else { return nil }
        let reason = json["reason"]?.stringValue ?? ""
        let reconnect = json["reconnect"]?.boolValue ?? DisconnectCode.shouldReconnect(closeCode: UInt16(clamping: code))
        self = .disconnect(user: user, code: DisconnectCode(code: UInt16(clamping: code), reason: reason, reconnect: reconnect))
    }

    var encoded: RawJSON {
        switch self {
        case .disconnect(let user, let code):
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("op"); writer.string("disconnect")
            writer.key("user"); writer.string(user)
            writer.key("code"); writer.number(Int(code.code))
            writer.key("reason"); writer.string(code.reason)
            writer.key("reconnect"); writer.bool(code.reconnect)
            writer.endObject()
            return RawJSON(unchecked: writer.text)
        }
    }
}
