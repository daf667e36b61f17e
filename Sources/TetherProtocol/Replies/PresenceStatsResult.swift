/// The result of `presence_stats`: how many connections and distinct users are present.
public struct PresenceStatsResult: Sendable, Hashable {
    public var clients: Int
    public var users: Int

    public init(clients: Int, users: Int) {
        self.clients = clients
        self.users = users
    }
}

extension PresenceStatsResult: JSONEncodable, JSONDecodable {
    /// `{"clients":N,"users":M}`.
    public func encode(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("clients")
        writer.number(self.clients)
        writer.key("users")
        writer.number(self.users)
        writer.endObject()
    }

    public init(json: JSONValue) throws(JSONShapeError) {
        let object = try json.requireObject("presence stats result")
        self.init(clients: try object.count("clients"), users: try object.count("users"))
    }
}
