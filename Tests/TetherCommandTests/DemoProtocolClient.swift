import Synchronization
import TetherProtocol
import TetherTesting

/// A raw Tether protocol speaker for the demo tests (not TetherClient: the demo is checked against the wire
/// format). Sends JSON commands as text, splits batched frames on `\n`, and sorts what arrives into replies
/// (taken by id) and pushes (taken in order), so a reply never overtakes the pushes before it.
final class DemoProtocolClient: Sendable {
    let socket: WebSocketTestClient
    private let queued = Mutex<[ServerMessage]>([])

    static func connect(port: Int) async throws -> DemoProtocolClient {
        let socket = try await WebSocketTestClient.connect(
            port: port, path: "/connection/websocket", headers: [("Sec-WebSocket-Protocol", "tether.v1")], timeout: .seconds(5)
        )
        return DemoProtocolClient(socket: socket)
    }

    private init(socket: WebSocketTestClient) {
        self.socket = socket
    }

    /// Sends a command and returns its reply; pushes that arrive first stay queued for ``push()``.
    func call(_ json: String, id: UInt32) async throws -> ServerMessage {
        try await self.socket.send(text: json)
        return try await self.next { message in
            switch message {
            case .reply(let replyID, _), .error(let replyID, _): replyID == id
            case .push: false
            }
        }
    }

    /// The next push other than `ping`.
    func push() async throws -> Push {
        let message = try await self.next { message in
            if case .push(let push) = message, push != .ping { return true }
            return false
        }
        guard case .push(let push) = message else { throw DemoTestFailure("not a push") }
        return push
    }

    /// Reads until the connection ends; returns the close code of a close frame, or nil when the TCP
    /// connection ended without one.
    func waitForEnd() async throws -> UInt16? {
        while true {
            do {
                if case .close(let code, _) = try await self.socket.receive(timeout: .seconds(10)) { return code }
            } catch let error as WebSocketTestClientError where error.code == .connectionClosed {
                return nil
            }
        }
    }

    private func next(_ matches: @Sendable (ServerMessage) -> Bool) async throws -> ServerMessage {
        if let message = self.take(matches) { return message }
        while true {
            let frame = try await self.socket.receive(timeout: .seconds(10))
            guard case .text(let text) = frame else { throw DemoTestFailure("expected a text frame, got \(frame)") }
            let messages = try text.split(separator: "\n").map { try ServerMessage.decode(String($0)) }
            self.queued.withLock { $0.append(contentsOf: messages) }
            if let message = self.take(matches) { return message }
        }
    }

    private func take(_ matches: (ServerMessage) -> Bool) -> ServerMessage? {
        self.queued.withLock { queued in
            guard let index = queued.firstIndex(where: matches) else { return nil }
            return queued.remove(at: index)
        }
    }
}

struct DemoTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension ServerMessage {
    /// The `result` of a successful reply, or a failure naming what came instead.
    func demoResult() throws -> JSONValue {
        switch self {
        case .reply(_, let result): return result
        case .error(_, let error): throw DemoTestFailure("error reply: \(error)")
        case .push(let push): throw DemoTestFailure("push \(push.kind) instead of a reply")
        }
    }
}
