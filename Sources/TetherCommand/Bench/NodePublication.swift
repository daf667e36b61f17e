/// The data the bench publishes, and the commands and requests that carry it.
///
/// Data is `{"ts":SENT,"pad":"xxx…"}`: `SENT` is the monotonic send time in nanoseconds (publisher and
/// subscribers share this process's clock, so a delivery's latency is its receipt time minus `SENT`), and
/// the padding brings the encoded data to about `size` bytes (never below the timestamp's own length).
enum NodePublication {
    /// The data for `sentAt`, padded to about `size` bytes.
    static func data(sentAt: UInt64, size: Int) -> String {
        let head = #"{"ts":\#(sentAt),"pad":""#
        let padding = max(0, size - head.utf8.count - 2)
        return head + String(repeating: "x", count: padding) + #""}"#
    }

    /// A client `publish` command (docs/protocol.md §3).
    static func command(id: Int, channel: String, sentAt: UInt64, size: Int) -> String {
        #"{"id":\#(id),"op":"publish","channel":"\#(channel)","data":\#(data(sentAt: sentAt, size: size))}"#
    }

    /// The body of `POST /api/publish` (docs/protocol.md §8).
    static func apiBody(channel: String, sentAt: UInt64, size: Int) -> String {
        #"{"channel":"\#(channel)","data":\#(data(sentAt: sentAt, size: size))}"#
    }

    /// A client `connect` command with `token` (omitted when nil) and, when `channel` is given, a
    /// subscription to it.
    static func connect(token: String?, channel: String?) -> String {
        var fields = [#""id":1"#, #""op":"connect""#]
        if let token { fields.append(#""token":"\#(token)""#) }
        if let channel { fields.append(#""subs":{"\#(channel)":{}}"#) }
        return "{" + fields.joined(separator: ",") + "}"
    }
}
