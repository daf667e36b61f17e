import NIOCore
import NIOHTTP1
import NIOPosix
import TetherProtocol

/// One keep-alive HTTP/1.1 connection to a node's server API, used by one `tether bench failover`
/// publisher worker for `POST /api/publish`, one request at a time.
///
/// Ownership: scoped. ``withConnection(api:apiKey:_:)`` connects, lends the connection to its body (which
/// sends every request with ``publish(_:timeout:)``) and closes it when the body returns or throws. Any
/// transport failure (connect refused, reset, early close, timeout, unparsable reply) throws
/// ``BenchError`` and leaves the connection unusable: the caller lets the body end and opens another.
struct NodeFailoverAPIConnection {
    /// What the node answered.
    enum Answer: Sendable, Equatable {
        /// `200` with the publication's position (`duplicate` when its idempotency key was seen before).
        case acknowledged(PublishResult)
        /// A refusal that may be retried with the same key (`503`, error `114` or `temporary: true`).
        case temporary(String)
        /// Any other refusal.
        case refused(String)
    }

    private let underlying: any Channel
    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    private let head: HTTPRequestHead

    /// Connects to `api` (host, port and base path, e.g. `/api`) within 2 s and runs `body` with the
    /// connection; closes it afterwards. Throws ``BenchError`` when the connection cannot be made, or what
    /// `body` throws.
    static func withConnection<Result>(
        api: BenchTarget, apiKey: String, _ body: (inout NodeFailoverAPIConnection) async throws -> Result
    ) async throws -> Result {
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(2))
                .connect(host: api.host, port: api.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw BenchError("connect to \(api.host):\(api.port) failed: \(Self.reason(error))")
        }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(api.host):\(api.port)")
        headers.add(name: "Authorization", value: "apikey \(apiKey)")
        headers.add(name: "Content-Type", value: "application/json")
        let base = api.path.hasSuffix("/") ? String(api.path.dropLast()) : api.path
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: base + "/publish", headers: headers)
        let underlying = channel.channel
        return try await channel.executeThenClose { inbound, outbound in
            var connection = NodeFailoverAPIConnection(
                underlying: underlying, inbound: inbound.makeAsyncIterator(), outbound: outbound, head: head)
            return try await body(&connection)
        }
    }

    /// Sends one publish request with JSON `body` and waits (at most `timeout`) for its answer.
    mutating func publish(_ body: String, timeout: Duration) async throws -> Answer {
        var head = self.head
        head.headers.add(name: "Content-Length", value: String(body.utf8.count))
        let underlying = self.underlying
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            underlying.close(promise: nil)
        }
        defer { watchdog.cancel() }
        var status: HTTPResponseStatus?
        var text = ""
        do {
            try await self.outbound.write(contentsOf: [.head(head), .body(.byteBuffer(ByteBuffer(string: body))), .end(nil)])
            reading: while let part = try await self.inbound.next() {
                switch part {
                case .head(let responseHead): status = responseHead.status
                case .body(let chunk): text += String(buffer: chunk)
                case .end: break reading
                }
            }
        } catch {
            throw BenchError("publish request failed: \(Self.reason(error))")
        }
        guard let status else { throw BenchError("connection closed before an answer (or timed out after \(timeout))") }
        return try Self.answer(status: Int(status.code), body: text)
    }

    /// What a response with `status` and `body` means (docs/protocol.md §8: errors are `{"error":{…}}`).
    static func answer(status: Int, body: String) throws -> Answer {
        let value = try? JSONValue(parsing: body)
        if status == 200 {
            guard let value, let result = try? PublishResult(json: value) else {
                throw BenchError("publish answered 200 with an unexpected body: \(body.prefix(200))")
            }
            return .acknowledged(result)
        }
        let error = value?["error"]
        let code = error?["code"]?.intValue
        let message = "HTTP \(status) code \(code.map(String.init) ?? "-"): \(error?["message"]?.stringValue ?? String(body.prefix(120)))"
        if status == 503 || code == 114 || error?["temporary"]?.boolValue == true { return .temporary(message) }
        return .refused(message)
    }

    private static func reason(_ error: any Error) -> String {
        String(describing: error).prefix(160).description
    }
}
