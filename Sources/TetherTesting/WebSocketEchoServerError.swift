/// Errors thrown by ``WebSocketEchoServer``.
public struct WebSocketEchoServerError: Error, Hashable, CustomStringConvertible {
    private enum Code: Hashable {
        case alreadyStarted
    }

    private let code: Code

    /// ``WebSocketEchoServer/start()`` was called on a server that is already listening.
    public static let alreadyStarted = WebSocketEchoServerError(code: .alreadyStarted)

    public var description: String {
        switch self.code {
        case .alreadyStarted: "the echo server is already started"
        }
    }
}
