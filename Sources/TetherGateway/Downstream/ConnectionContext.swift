import Logging
import NIOCore
import TetherGatewayCore

/// What the handlers of one downstream connection know about it. Created by the listener's channel
/// initializer and shared by that connection's handlers; lives on the connection's event loop only.
final class ConnectionContext {
    let id: ConnectionID
    let listener: ListenerRuntime
    /// The socket peer's address.
    let peerIP: IPAddress?
    /// The source announced by a PROXY protocol header, when the listener expects one.
    var proxySourceIP: IPAddress?
    /// The client IP after PROXY protocol and trusted X-Forwarded-For/Forwarded; set at the first request head.
    var clientIP: IPAddress?
    /// The per-IP connection slot this connection holds, released when it closes.
    var countedIP: String?
    let isTLS: Bool
    private let baseLogger: Logger

    init(id: ConnectionID, listener: ListenerRuntime, peer: SocketAddress?, isTLS: Bool, logger: Logger) {
        self.id = id
        self.listener = listener
        self.peerIP = peer?.ipAddress.flatMap(IPAddress.init(parsing:))
        self.isTLS = isTLS
        self.baseLogger = logger
    }

    /// A logger carrying `conn` and `listener`. Made when something is logged rather than stored: metadata
    /// would cost every idle connection a dictionary, and connections are logged only on their few events.
    var logger: Logger {
        var logger = baseLogger
        logger[metadataKey: "conn"] = "\(id)"
        logger[metadataKey: "listener"] = "\(listener.name)"
        return logger
    }

    /// The address the gateway treats as the direct peer: the PROXY protocol source if any, else the socket peer.
    var directPeerIP: IPAddress? { proxySourceIP ?? peerIP }
}

@available(*, unavailable)
extension ConnectionContext: Sendable {}
