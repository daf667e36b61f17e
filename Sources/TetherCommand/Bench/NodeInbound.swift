import NIOCore

/// What ``NodeFrameDecoder`` reports to ``NodeClientHandler``.
enum NodeInbound {
    /// The response head arrived; `status` is its status code (101 on success).
    case handshake(status: Int)
    /// A complete text message (fragments joined).
    case text(ByteBuffer)
    case ping(ByteBuffer)
    case close(code: UInt16?)
}

/// Commands sent to every node-bench connection as user inbound events.
enum NodeBenchControl: Sendable {
    /// Publishers start their schedule.
    case start
    /// Publishers stop; publications in flight still count.
    case stop
    /// Subscribers count themselves in ``NodeBenchSnapshot/caughtUp`` once their channel's offset in
    /// `lastOffsets` has arrived (at once if it already has).
    case expect(lastOffsets: [String: Int64])
    /// Subscribers add their losses up to their channel's offset in `lastOffsets` to ``NodeBenchSnapshot/lost``.
    case finish(lastOffsets: [String: Int64])
}
