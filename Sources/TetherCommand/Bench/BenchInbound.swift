import NIOCore

/// What ``BenchFrameDecoder`` reports to ``BenchConnectionHandler``.
enum BenchInbound {
    /// The response head arrived; `status` is its status code (101 on success).
    case handshake(status: Int)
    /// A complete text or binary message of `length` payload bytes.
    case message(length: Int)
    /// A ping with its payload (to be answered with a pong).
    case ping(ByteBuffer)
    /// A close frame, with its code if it had one.
    case close(code: UInt16?)
}

/// Commands sent to every ``BenchConnectionHandler`` as user inbound events.
enum BenchControl: Sendable {
    /// Start sending (echo mode); idle connections ignore it.
    case start
    /// Stop sending; replies still in flight are counted.
    case stop
}
