import NIOCore
import TetherProtocol
import TetherTesting

/// A raw protocol speaker for node tests: sends JSON commands as text and sorts what comes back into
/// replies (by id) and pushes, splitting batched frames on `\n`. Deliberately not TetherClient, so the
/// node is tested against the wire format itself.
final class NodeProtocolClient: Sendable {
    let socket: WebSocketTestClient
    private let pending = PendingMessages()

    static func connect(port: Int, headers: [(String, String)] = []) async throws -> NodeProtocolClient {
        let socket = try await WebSocketTestClient.connect(port: port, path: "/connection/websocket", headers: headers, timeout: .seconds(5))
        return NodeProtocolClient(socket: socket)
    }

    private init(socket: WebSocketTestClient) {
        self.socket = socket
    }

    func send(_ json: String) async throws {
        try await self.socket.send(text: json)
    }

    /// Sends a command and returns its reply (`result` or `error` object), keeping pushes for later.
    func call(_ json: String, id: UInt32, sendFirst: Bool = true) async throws -> ServerMessage {
        if sendFirst { try await self.send(json) }
        return try await self.next { message in
            switch message {
            case .reply(let replyID, _), .error(let replyID, _): replyID == id
            case .push: false
            }
        }
    }

    /// The next push (skipping `ping` pushes), waiting up to `timeout` for each frame.
    func push(timeout: Duration = .seconds(5)) async throws -> Push {
        let message = try await self.next(timeout: timeout) { message in
            if case .push(let push) = message, push != .ping { return true }
            return false
        }
        guard case .push(let push) = message else { throw TestFailure("not a push") }
        return push
    }

    /// Waits for the socket to close and returns the close code.
    func closeCode() async throws -> UInt16? {
        if let code = self.pending.closeCode { return code }
        while true {
            switch try await self.socket.receive(timeout: .seconds(5)) {
            case .close(let code, _): return code
            default: continue
            }
        }
    }

    /// The first message matching `matches`; earlier non-matching messages stay queued in order.
    private func next(timeout: Duration = .seconds(5), _ matches: @Sendable (ServerMessage) -> Bool) async throws -> ServerMessage {
        if let queued = self.pending.take(matching: matches) { return queued }
        while true {
            let frame = try await self.socket.receive(timeout: timeout)
            if case .close(let code, _) = frame {
                self.pending.closeCode = code
                throw TestFailure("the node closed the connection with \(code.map(String.init) ?? "no code")")
            }
            guard case .text(let text) = frame else {
                throw TestFailure("expected a text frame, got \(frame)")
            }
            for line in text.split(separator: "\n") {
                self.pending.append(try ServerMessage.decode(String(line), limits: JSONLimits(maxBytes: 16 << 20)))
            }
            if let queued = self.pending.take(matching: matches) { return queued }
        }
    }
}

import Synchronization

final class PendingMessages: Sendable {
    private let messages = Mutex<[ServerMessage]>([])
    private let close = Mutex<UInt16?>(nil)

    /// The close code, once a close frame was read.
    var closeCode: UInt16? {
        get { self.close.withLock { $0 } }
        set { self.close.withLock { $0 = newValue } }
    }

    func append(_ message: ServerMessage) {
        self.messages.withLock { $0.append(message) }
    }

    func take(matching matches: (ServerMessage) -> Bool) -> ServerMessage? {
        self.messages.withLock { messages in
            guard let index = messages.firstIndex(where: matches) else { return nil }
            return messages.remove(at: index)
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension ServerMessage {
    /// The `result` object of a successful reply, or a failure describing what came instead.
    func result() throws -> JSONValue {
        switch self {
        case .reply(_, let result): return result
        case .error(_, let error): throw TestFailure("error reply: \(error)")
        case .push(let push): throw TestFailure("push \(push.kind) instead of a reply")
        }
    }

    func error() throws -> ProtocolError {
        guard case .error(_, let error) = self else { throw TestFailure("expected an error reply, got \(self)") }
        return error
    }
}
