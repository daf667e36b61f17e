/// The result of `presence`: the connections present in the channel.
public struct PresenceResult: Sendable, Hashable {
    public var clients: [ClientInfo]

    public init(clients: [ClientInfo]) {
        self.clients = clients
    }
}

extension PresenceResult: JSONEncodable, JSONDecodable {
    /// `{"clients":[{"client","user","data"?}, …]}`.
    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("clients")
        writer.beginArray()
        for client in self.clients { client.encode(to: &writer) }
        writer.endArray()
        writer.endObject()
    }

    public init(json: JSONValue) throws(JSONShapeError) {
        self.init(clients: try json.requireObject("presence result").decodeArray("clients"))
    }
}
