/// What the load generator needs from one message a node sent (docs/protocol.md, sections 1 and 4), as
/// extracted by ``NodeBenchScanner``.
enum NodeBenchMessage: Equatable, Sendable {
    /// A `pub` push: its offset and, when the data carries the bench's `"ts"` field, the publisher's send
    /// time (monotonic nanoseconds of this process).
    case publication(offset: Int64, sentAt: UInt64?)
    /// A reply to command `id`. `offset` is the first `"position":{"offset":N` in it (a publish result, or
    /// the first subscription of a connect result); `failed` is set for an `error` reply and for a connect
    /// result with `sub_errors`.
    case reply(id: Int64, offset: Int64?, failed: Bool)
    /// A `disconnect` push with its close code.
    case disconnect(code: Int64?)
    /// A `ping` push.
    case ping
    /// Anything else (other pushes; unknown shapes).
    case other
}
