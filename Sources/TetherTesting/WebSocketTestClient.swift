import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// A small async/await WebSocket client on raw SwiftNIO, for tests.
///
/// - Frames it sends are masked with a random key (RFC 6455 §5.3) unless a test asks otherwise.
/// - Incoming text and binary messages are aggregated and buffered (unbounded) until ``receive(timeout:)``.
/// - Pings are answered with pongs automatically and only counted (``pingsReceived``), never surfaced;
///   pongs are surfaced as ``Message/pong(_:)``.
/// - A close frame from the server is surfaced as ``Message/close(code:reason:)`` and answered with a close
///   frame carrying the same code (unless this side already sent one). The client never closes TCP first
///   except through ``abort()`` or a protocol violation; use ``waitForClosure(timeout:)`` to see the server
///   close it.
///
/// Threading: every method may be called from any task; ``receive(timeout:)`` must not be called
/// concurrently with itself. Handlers run on the channel's event loop.
public final class WebSocketTestClient: Sendable {
    /// One complete message, or a control frame the test may care about.
    public enum Message: Sendable, Hashable, CustomStringConvertible {
        case text(String)
        case binary([UInt8])
        case pong([UInt8])
        /// A close frame; `code` is nil when the frame had no payload.
        case close(code: UInt16?, reason: String)

        public var description: String {
            switch self {
            case .text(let text): "text(\(text.count) chars: \(text.prefix(40).debugDescription))"
            case .binary(let bytes): "binary(\(bytes.count) bytes)"
            case .pong(let bytes): "pong(\(bytes.count) bytes)"
            case .close(let code, let reason): "close(\(code.map(String.init) ?? "none"), \(reason.debugDescription))"
            }
        }
    }

    /// HTTP status of the handshake response (always 101 for a connected client).
    public let status: Int
    /// Headers of the 101 response, in order.
    public let responseHeaders: [(String, String)]
    private let channel: Channel
    private let queue: ClientMessageQueue
    private let defaultTimeout: Duration

    private init(
        channel: Channel,
        queue: ClientMessageQueue,
        result: ClientHandshakeResult,
        defaultTimeout: Duration
    ) {
        self.channel = channel
        self.queue = queue
        self.status = result.status
        self.responseHeaders = result.headers
        self.defaultTimeout = defaultTimeout
    }

    /// Opens a TCP (or TLS) connection and performs the WebSocket handshake.
    ///
    /// - Parameters:
    ///   - headers: extra request headers, sent after the standard ones; a header named like a standard one
    ///     (`Host`, `Upgrade`, `Connection`, `Sec-WebSocket-Key`, `Sec-WebSocket-Version`) replaces it.
    ///   - proxyProtocolV1Source: if set, the connection starts with
    ///     `PROXY TCP4 <source> <server ip> <local port> <server port>\r\n` (TCP6 if the source has a colon).
    ///   - tls: TLS client configuration; `tlsServerHostname` defaults to `host` unless it is an IP literal.
    ///   - maxMessageSize: largest frame and message accepted from the server.
    ///   - timeout: bounds the TCP connect, the handshake, and is the default for ``receive(timeout:)``.
    /// - Throws: ``WebSocketTestClientError`` with code `.upgradeRejected` (and the response status, headers and
    ///   body) when the server answers anything but 101; `.invalidHandshake`, `.timeout`, `.connectionClosed`;
    ///   or the connect error.
    public static func connect(
        host: String = "127.0.0.1",
        port: Int,
        path: String = "/",
        headers: [(String, String)] = [],
        proxyProtocolV1Source: String? = nil,
        tls: TLSConfiguration? = nil,
        tlsServerHostname: String? = nil,
        maxMessageSize: Int = 16 << 20,
        timeout: Duration = .seconds(10),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> WebSocketTestClient {
        let sslContext = try tls.map { try NIOSSLContext(configuration: $0) }
        let serverHostname = tlsServerHostname ?? (Self.isIPLiteral(host) ? nil : host)
        let key = Base64.encode((0..<16).map { _ in UInt8.random(in: 0...255) })
        let request = Self.requestHead(
            path: path,
            host: host,
            port: port,
            standard: [
                ("Upgrade", "websocket"), ("Connection", "Upgrade"),
                ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", "13"),
            ],
            extra: headers
        )
        let queue = ClientMessageQueue()
        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: ClientHandshakeResult.self)

        let (channel, deadline) = try await Self.openChannel(
            host: host,
            port: port,
            eventLoop: eventLoop,
            noDelay: true,
            proxyProtocolV1Source: proxyProtocolV1Source,
            timeout: timeout,
            promise: promise
        ) { pipeline in
            if let sslContext {
                try pipeline.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
            }
            let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
            let encoder = HTTPRequestEncoder()
            // Encoder first: the response decoder observes outgoing request heads (it must know a HEAD).
            try pipeline.addHandlers([
                encoder, decoder,
                ClientHandshakeHandler(
                    request: request,
                    key: key,
                    promise: promise,
                    httpEncoder: encoder,
                    httpDecoder: decoder,
                    webSocketHandlers: {
                        [
                            WebSocketFrameEncoder(),
                            ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxMessageSize)),
                            ClientFrameHandler(queue: queue, maxMessageSize: maxMessageSize),
                        ]
                    }
                ),
            ])
        }
        do {
            let result = try await promise.futureResult.get()
            deadline.cancel()
            return WebSocketTestClient(channel: channel, queue: queue, result: result, defaultTimeout: timeout)
        } catch {
            deadline.cancel()
            try? await channel.close()
            throw error
        }
    }

    /// Sends one plain HTTP request (`Connection: close`) and returns the complete response.
    public static func httpGet(
        host: String = "127.0.0.1",
        port: Int,
        path: String = "/",
        headers: [(String, String)] = [],
        method: HTTPMethod = .GET,
        proxyProtocolV1Source: String? = nil,
        timeout: Duration = .seconds(10),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> (status: Int, headers: [(String, String)], body: String) {
        var head = Self.requestHead(
            path: path,
            host: host,
            port: port,
            standard: [("Connection", "close")],
            extra: headers
        )
        head.method = method
        let request = head
        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: CollectedHTTPResponse.self)
        let (_, deadline) = try await Self.openChannel(
            host: host,
            port: port,
            eventLoop: eventLoop,
            noDelay: false,
            proxyProtocolV1Source: proxyProtocolV1Source,
            timeout: timeout,
            promise: promise
        ) { pipeline in
            try pipeline.addHandlers([
                HTTPRequestEncoder(),
                ByteToMessageHandler(HTTPResponseDecoder()),
                HTTPResponseCollector(request: request, promise: promise),
            ])
        }
        defer { deadline.cancel() }
        let response = try await promise.futureResult.get()
        return (response.status, response.headers, response.body)
    }

    /// The first value of 101 response header `name` (case-insensitive).
    public func responseHeader(_ name: String) -> String? {
        self.responseHeaders.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The local port of the connection.
    public var localPort: Int? { self.channel.localAddress?.port }

    /// Whether the TCP connection is still open.
    public var isActive: Bool { self.channel.isActive }

    /// Pings received from the server (each was answered with a pong).
    public var pingsReceived: Int { self.queue.pingsReceived }

    /// Sends a text message in one frame.
    public func send(text: String) async throws {
        try await self.sendFrame(opcode: .text, payload: Array(text.utf8))
    }

    /// Sends a binary message in one frame.
    public func send(binary: [UInt8]) async throws {
        try await self.sendFrame(opcode: .binary, payload: binary)
    }

    /// Sends a ping; the server's pong arrives as ``Message/pong(_:)``.
    public func sendPing(_ payload: [UInt8] = []) async throws {
        try await self.sendFrame(opcode: .ping, payload: payload)
    }

    /// Sends one frame exactly as described, for fragmentation and protocol-violation tests.
    public func sendFrame(
        opcode: WebSocketOpcode,
        payload: [UInt8],
        fin: Bool = true,
        rsv1: Bool = false,
        masked: Bool = true
    ) async throws {
        let frame = WebSocketFrame(
            fin: fin,
            rsv1: rsv1,
            opcode: opcode,
            maskKey: masked ? .random() : nil,
            data: self.channel.allocator.buffer(bytes: payload)
        )
        try await self.channel.writeAndFlush(frame)
    }

    /// Writes bytes straight to the socket (below the frame encoder), for malformed-input tests.
    public func sendRaw(_ bytes: [UInt8]) async throws {
        let channel = self.channel
        let buffer = channel.allocator.buffer(bytes: bytes)
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.eventLoop.execute {
            do {
                let context = try channel.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
                context.writeAndFlush(NIOAny(buffer), promise: promise)
            } catch {
                promise.fail(error)
            }
        }
        try await promise.futureResult.get()
    }

    /// Sends a close frame (no code when `code` is nil). The server's answering close frame arrives through
    /// ``receive(timeout:)``; then the server closes TCP (``waitForClosure(timeout:)``).
    public func close(code: UInt16? = 1000, reason: String = "") async throws {
        var payload: [UInt8] = []
        if let code {
            payload = [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8)
        }
        try await self.sendFrame(opcode: .connectionClose, payload: payload)
    }

    /// The next message. Buffered messages are returned first; after the connection closed and the buffer
    /// is empty it throws `.connectionClosed`; after `timeout` (default: the connect timeout) `.timeout`.
    public func receive(timeout: Duration? = nil) async throws -> Message {
        try await self.queue.next(timeout: TimeAmount(timeout ?? self.defaultTimeout), eventLoop: self.channel.eventLoop)
    }

    /// Waits until the TCP connection is closed (by either side); throws `.timeout` after `timeout`.
    public func waitForClosure(timeout: Duration? = nil) async throws {
        let channel = self.channel
        let promise = channel.eventLoop.makePromise(of: Void.self)
        let timeout = TimeAmount(timeout ?? self.defaultTimeout)
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(WebSocketTestClientError(.timeout, detail: "connection still open after \(timeout)"))
        }
        channel.closeFuture.whenComplete { _ in
            deadline.cancel()
            promise.succeed()
        }
        try await promise.futureResult.get()
    }

    /// Closes TCP at once, without a close frame.
    public func abort() async {
        try? await self.channel.close()
    }

    /// Connects to `host`:`port` on `eventLoop` (TCP connect bounded by `timeout`) with a pipeline of a
    /// ``ProxyProtocolHeaderHandler`` when `proxyProtocolV1Source` is set, then whatever `addHandlers` adds.
    /// Once connected, schedules a ``HandshakeTimeoutEvent`` into the pipeline after `timeout`; the caller
    /// cancels the returned deadline. When the connect fails, `promise` is failed with the error, which is
    /// rethrown.
    private static func openChannel<Value>(
        host: String,
        port: Int,
        eventLoop: any EventLoop,
        noDelay: Bool,
        proxyProtocolV1Source: String?,
        timeout: Duration,
        promise: EventLoopPromise<Value>,
        addHandlers: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void
    ) async throws -> (channel: Channel, deadline: Scheduled<Void>) {
        var bootstrap = ClientBootstrap(group: eventLoop)
        if noDelay {
            bootstrap = bootstrap.channelOption(.socketOption(.tcp_nodelay), value: 1)
        }
        bootstrap = bootstrap
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let proxyProtocolV1Source {
                        try pipeline.addHandler(ProxyProtocolHeaderHandler(source: proxyProtocolV1Source))
                    }
                    try addHandlers(pipeline)
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            promise.fail(error)
            throw error
        }
        let deadline = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            channel.pipeline.fireUserInboundEventTriggered(HandshakeTimeoutEvent())
        }
        return (channel, deadline)
    }

    private static func requestHead(
        path: String,
        host: String,
        port: Int,
        standard: [(String, String)],
        extra: [(String, String)]
    ) -> HTTPRequestHead {
        let overridden = Set(extra.map { $0.0.lowercased() })
        var headers = HTTPHeaders()
        let hostValue = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        for (name, value) in [("Host", hostValue)] + standard where !overridden.contains(name.lowercased()) {
            headers.add(name: name, value: value)
        }
        for (name, value) in extra {
            headers.add(name: name, value: value)
        }
        return HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
    }

    private static func isIPLiteral(_ host: String) -> Bool {
        host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
    }
}
