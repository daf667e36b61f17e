import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOWebSocket
import TetherCore
import TetherProtocol

extension RouterMethods {
    /// Serves the Tether protocol (docs/protocol.md) for `node` at `path` on a WebSocket router.
    ///
    /// The upgrade is refused (HTTP 400, Hummingbird's fixed answer) when the request's `Origin` is not in
    /// the node's `allowed_origins`. A full or draining node still upgrades, then closes at once with
    /// 3007 or 3001 so the client learns when to come back.
    ///
    /// Per connection, one task reads (commands are handled in order) and one writes (batches from the
    /// connection's bounded queue, one frame per batch).
    @discardableResult
    public func addTetherNode(_ node: TetherNode, at path: RouterPath = "/connection/websocket") -> Self
    where Context: WebSocketRequestContext, Self: _HB_SendableMetatype {
        let allowedOrigins = Set(node.configuration.allowedOrigins)
        let limits = node.configuration.limits
        return self.ws(path) { request, context in
            if !allowedOrigins.isEmpty {
                guard let origin = request.headers[.origin], allowedOrigins.contains(origin) else {
                    context.logger.info("upgrade refused: origin not allowed", metadata: ["origin": "\(request.headers[.origin] ?? "none")"])
                    return .dontUpgrade
                }
            }
            var headers = HTTPFields()
            if let offered = request.headers[.secWebSocketProtocol],
                offered.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == "tether.v1" })
            {
                headers[.secWebSocketProtocol] = "tether.v1"
            }
            return .upgrade(headers)
        } onUpgrade: { inbound, outbound, _ in
            guard let connection = node.accept() else {
                let code: DisconnectCode = node.isShuttingDown ? .shutdown : .nodeFull
                try await outbound.write(.text(Push.disconnect(code, delayMs: 1000).frame()))
                try await outbound.close(WebSocketErrorCode(codeNumber: Int(code.code)), reason: code.reason)
                return
            }
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while let batch = await connection.outbound.next(maxBytes: limits.maxOutboundFrameSize) {
                        do {
                            try await outbound.write(.text(batch))
                        } catch {
                            connection.outbound.close(code: 1006, reason: "write failed", flush: false)
                        }
                    }
                    if let closing = connection.outbound.closing, closing.code != 1006 {
                        try? await outbound.close(WebSocketErrorCode(codeNumber: Int(closing.code)), reason: closing.reason)
                    }
                }
                do {
                    for try await message in inbound.messages(maxSize: limits.maxMessageSize) {
                        switch message {
                        case .text(let text): await connection.receive(text)
                        case .binary: connection.receiveBinary()
                        }
                    }
                } catch {
                    // A protocol violation (oversized frame: 1009, invalid UTF-8: 1007) was answered by the
                    // WebSocket layer; the connection is over either way.
                }
                connection.outbound.close(code: 1006, reason: "socket closed", flush: false)
                await group.waitForAll()
            }
            await connection.terminated()
        }
    }

    /// Serves the server HTTP API (docs/protocol.md section 8) for `node` under `path`:
    /// `POST <path>/<method>` with `Authorization: apikey <key>`.
    @discardableResult
    public func addTetherAPI(_ node: TetherNode, at path: RouterPath = "/api") -> Self {
        let api = ServerAPI(node: node)
        self.post("\(path)/:method") { request, context -> Response in
            let method = context.parameters.get("method") ?? ""
            let authorization = request.headers[.authorization]
            let body = try await request.body.collect(upTo: node.configuration.limits.maxMessageSize * 16)
            let answer = await api.handle(method: method, authorization: authorization, body: Array(buffer: body))
            return Response(
                status: HTTPResponse.Status(code: answer.status),
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: answer.body))
            )
        }
        return self
    }
}
