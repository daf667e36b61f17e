import Synchronization
import TetherProtocol

/// One channel subscription: an `AsyncSequence` of ``SubscriptionEvent`` with a single consumer.
///
/// The sequence ends normally after ``unsubscribe()`` or ``TetherClient/disconnect()``, and throws when the
/// client stops for good (``TetherClientError/closed(code:reason:error:)``) or the node refuses the channel
/// when resuming (``ProtocolError``). Events are buffered without bound until consumed.
public final class Subscription: AsyncSequence, Sendable {
    public typealias Element = SubscriptionEvent
    public typealias Failure = any Error
    public typealias AsyncIterator = AsyncThrowingStream<SubscriptionEvent, any Error>.Iterator

    public let channel: String
    let client: TetherClient
    private let stream: AsyncThrowingStream<SubscriptionEvent, any Error>
    let continuation: AsyncThrowingStream<SubscriptionEvent, any Error>.Continuation
    private let positionBox: Mutex<StreamPosition?>

    init(channel: String, client: TetherClient, position: StreamPosition?) {
        self.channel = channel
        self.client = client
        (self.stream, self.continuation) = AsyncThrowingStream.makeStream(of: SubscriptionEvent.self)
        self.positionBox = Mutex(position)
    }

    /// The position of the last event handed to the sequence ("everything up to here"), nil before the
    /// first subscribe reply. Pass it as `since` to a later ``TetherClient/subscribe(_:since:)`` to resume.
    public var position: StreamPosition? { self.positionBox.withLock { $0 } }

    func setPosition(_ position: StreamPosition?) {
        self.positionBox.withLock { $0 = position }
    }

    /// Leaves the channel; the sequence then ends.
    public func unsubscribe() async throws {
        try await self.client.unsubscribe(self.channel)
    }

    public func makeAsyncIterator() -> AsyncIterator {
        self.stream.makeAsyncIterator()
    }
}
