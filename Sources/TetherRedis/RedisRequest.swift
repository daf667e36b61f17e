import NIOCore

/// What a connection's handler is told to write: the encoded bytes of one or more commands and, in the same
/// order, what each command's reply completes.
struct RedisRequest: Sendable {
    enum Response: Sendable {
        /// An ordinary reply (errors included, as values).
        case reply(EventLoopPromise<RESPValue>)
        /// A (un)subscribe command: completed after `count` confirmations of `kind` (`"subscribe"`,
        /// `"punsubscribe"`...), or failed by an error reply.
        case confirmations(kind: String, count: Int, EventLoopPromise<RESPValue>)

        func fail(_ error: RedisError) {
            switch self {
            case .reply(let promise), .confirmations(_, _, let promise): promise.fail(error)
            }
        }
    }

    var bytes: ByteBuffer
    var responses: [Response]
    /// When the replies are due; past it the first unanswered one fails with ``RedisError/timeout``.
    var deadline: NIODeadline

    func fail(_ error: RedisError) {
        for response in responses { response.fail(error) }
    }
}

/// Outbound user event: fail everything pending with `error` and close the channel.
struct RedisCloseEvent: Sendable {
    var error: RedisError
}
