import Testing
import TetherCore

/// The per-connection queue: FIFO, bounded in bytes, batched by the writer, closed once.
@Suite("Outbound queue")
struct OutboundQueueTests {
    @Test("offers are refused past the limit, pushes past twice the limit")
    func bounds() {
        let queue = OutboundQueue(limit: 10)
        #expect(queue.offer("12345"))
        #expect(queue.offer("12345"))
        #expect(!queue.offer("1"))
        #expect(queue.push("1234567890"))
        #expect(!queue.push("1"))
        #expect(queue.queuedBytes == 20)
    }

    @Test("one message larger than the limit is still accepted into an empty queue")
    func oversizedSingle() {
        let queue = OutboundQueue(limit: 4)
        #expect(queue.offer("123456789"))
        #expect(!queue.offer("1"))
    }

    @Test("the writer gets FIFO batches joined by newlines, within its frame size")
    func batches() async {
        let queue = OutboundQueue(limit: 1000)
        for message in ["a", "bb", "ccc", "dddd"] { _ = queue.offer(message) }
        #expect(await queue.next(maxBytes: 6) == "a\nbb")
        #expect(await queue.next(maxBytes: 100) == "ccc\ndddd")
        #expect(queue.queuedBytes == 0)
    }

    @Test("a waiting writer wakes for the next message, and sees the end after close")
    func waiting() async {
        let queue = OutboundQueue(limit: 100)
        async let first = queue.next(maxBytes: 100)
        try? await Task.sleep(for: .milliseconds(20))
        _ = queue.offer("hello")
        #expect(await first == "hello")
        async let end = queue.next(maxBytes: 100)
        try? await Task.sleep(for: .milliseconds(20))
        queue.close(code: 3001, reason: "shutdown", flush: true)
        #expect(await end == nil)
        #expect(queue.closing?.code == 3001)
        #expect(!queue.offer("late"))
    }

    @Test("close with flush keeps what is queued; without flush drops it; the first close wins")
    func closing() async {
        let flushed = OutboundQueue(limit: 100)
        _ = flushed.offer("x")
        flushed.close(code: 3001, reason: "a", flush: true)
        flushed.close(code: 3003, reason: "b", flush: false)
        #expect(await flushed.next(maxBytes: 100) == "x")
        #expect(await flushed.next(maxBytes: 100) == nil)
        #expect(flushed.closing?.code == 3001)
        let dropped = OutboundQueue(limit: 100)
        _ = dropped.offer("x")
        dropped.close(code: 3003, reason: "slow", flush: false)
        #expect(await dropped.next(maxBytes: 100) == nil)
    }
}
