import TetherCore
import TetherProtocol

/// JSON forms of the records the engine stores as Redis strings and hash values.
enum RedisRecordCoding {
    /// `{"id":…,"user":…,"subs":{"CHANNEL":[OFFSET,"EPOCH"],…}}`
    static func encode(_ record: SessionRecord) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("id"); writer.string(record.id)
        writer.key("user"); writer.string(record.user)
        writer.key("subs")
        writer.beginObject()
        for (channel, position) in record.subscriptions.sorted(by: { $0.key < $1.key }) {
            writer.key(channel)
            writer.beginArray()
            writer.number(position.offset)
            writer.string(position.epoch)
            writer.endArray()
        }
        writer.endObject()
        writer.endObject()
        return writer.text
    }

    static func sessionRecord(_ text: String) -> SessionRecord? {
        guard let json = try? JSONValue(parsing: text), let id = json["id"]?.stringValue, let user = json["user"]?.stringValue,
              let subs = json["subs"]?.objectValue
        else { return nil }
        var subscriptions: [String: StreamPosition] = [:]
        for member in subs.members {
            guard let pair = member.value.arrayValue, pair.count == 2, let offset = pair[0].uint64Value, let epoch = pair[1].stringValue else {
                return nil
            }
            subscriptions[member.key] = StreamPosition(offset: offset, epoch: epoch)
        }
        return SessionRecord(id: id, user: user, subscriptions: subscriptions)
    }

    static func encode(_ info: NodeInfo) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("name"); writer.string(info.name)
        writer.key("version"); writer.string(info.version)
        writer.key("started_at"); writer.number(info.startedAt)
        writer.key("updated_at"); writer.number(info.updatedAt)
        writer.key("clients"); writer.number(info.clients)
        writer.key("users"); writer.number(info.users)
        writer.key("subscriptions"); writer.number(info.subscriptions)
        writer.key("channels")
        writer.beginObject()
        for (channel, count) in info.channels.sorted(by: { $0.key < $1.key }) {
            writer.key(channel)
            writer.number(count)
        }
        writer.endObject()
        writer.endObject()
        return writer.text
    }

    static func nodeInfo(_ text: String) -> NodeInfo? {
        guard let json = try? JSONValue(parsing: text), let name = json["name"]?.stringValue, let version = json["version"]?.stringValue,
              let startedAt = json["started_at"]?.int64Value, let updatedAt = json["updated_at"]?.int64Value,
              let clients = json["clients"]?.intValue, let users = json["users"]?.intValue,
              let subscriptions = json["subscriptions"]?.intValue, let channelObject = json["channels"]?.objectValue
        else { return nil }
        var channels: [String: Int] = [:]
        for member in channelObject.members {
            guard let count = member.value.intValue else { return nil }
            channels[member.key] = count
        }
        return NodeInfo(
            name: name, version: version, startedAt: startedAt, updatedAt: updatedAt,
            clients: clients, users: users, subscriptions: subscriptions, channels: channels
        )
    }

    static func clientInfo(_ text: String) -> ClientInfo? {
        guard let json = try? JSONValue(parsing: text) else { return nil }
        return try? ClientInfo(json: json)
    }
}
