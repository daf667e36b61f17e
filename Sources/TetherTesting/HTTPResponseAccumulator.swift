import NIOCore
import NIOHTTP1

/// Gathers one HTTP response from its parts as a client pipeline decodes them: the head, and the body
/// capped at ``maxBody`` bytes (a part is kept whole while fewer than `maxBody` bytes are held, so the
/// body may end up to one part longer).
///
/// Used by ``HTTPResponseCollector`` and ``ClientHandshakeHandler``. Not thread-safe: owned by one handler
/// and used on its event loop.
struct HTTPResponseAccumulator {
    static let maxBody = 64 * 1024

    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    /// Takes one response part. Returns the head and the body gathered so far when `part` is `.end` and a
    /// head was seen; nil otherwise (an `.end` without a head is ignored).
    mutating func add(_ part: HTTPClientResponsePart) -> (head: HTTPResponseHead, body: ByteBuffer)? {
        switch part {
        case .head(let head):
            self.head = head
        case .body(var bytes):
            if self.body.readableBytes < Self.maxBody {
                self.body.writeBuffer(&bytes)
            }
        case .end:
            if let head = self.head {
                return (head, self.body)
            }
        }
        return nil
    }

    /// Writes `request` (head and end, flushed) from `context`, the position of a client handler whose
    /// outbound type is `HTTPClientRequestPart`.
    static func send(_ request: HTTPRequestHead, context: ChannelHandlerContext) {
        context.write(NIOAny(HTTPClientRequestPart.head(request)), promise: nil)
        context.writeAndFlush(NIOAny(HTTPClientRequestPart.end(nil)), promise: nil)
    }
}
