import NIOCore
import NIOHTTP1
import NIOSSL
import TetherGatewayCore

/// One request in flight from a downstream connection to an endpoint: the candidates left to try, the body
/// buffered while connecting, and the upstream connection once there is one. Owned by the
/// ``DownstreamHandler`` on its event loop.
final class Exchange {
    let head: HTTPRequestHead
    let upstreamHead: HTTPRequestHead
    let isUpgrade: Bool
    let cluster: ClusterRuntime
    let connector: UpstreamConnector
    let targets: [ClusterRuntime.Target]
    let stickyEndpointID: String?
    let stickyCodec: StickyCookieCodec?
    let startedAt = NIODeadline.now()
    var nextTarget = 0
    var attemptsLeft: Int
    var attempted = false
    var target: ClusterRuntime.Target?
    var upstream: Channel?
    var upstreamHandler: UpstreamHTTPHandler?
    /// Body bytes received before the upstream connection was ready (bounded by the body limit).
    var bufferedBody = ByteBuffer()
    var requestBytes = 0
    var requestEnded = false
    var responseStarted = false
    var keepAlive = false
    var readPending = false
    var responseDeadline: Scheduled<Void>?
    /// The client half-closed while this exchange was in flight.
    var clientInputClosed = false

    init(
        head: HTTPRequestHead,
        upstreamHead: HTTPRequestHead,
        isUpgrade: Bool,
        cluster: ClusterRuntime,
        connector: UpstreamConnector,
        targets: [ClusterRuntime.Target],
        attemptsLeft: Int,
        stickyEndpointID: String?,
        stickyCodec: StickyCookieCodec?
    ) {
        self.head = head
        self.upstreamHead = upstreamHead
        self.isUpgrade = isUpgrade
        self.cluster = cluster
        self.connector = connector
        self.targets = targets
        self.attemptsLeft = attemptsLeft
        self.stickyEndpointID = stickyEndpointID
        self.stickyCodec = stickyCodec
    }

    /// Detaches from and closes the current upstream connection, if any.
    func abandonUpstream() {
        responseDeadline?.cancel()
        responseDeadline = nil
        upstreamHandler?.onEvent = nil
        upstreamHandler = nil
        upstream?.close(promise: nil)
        upstream = nil
    }
}

@available(*, unavailable)
extension Exchange: Sendable {}

/// Hop-by-hop headers (RFC 9110 §7.6.1) that a proxy must not forward, plus any that `Connection` names,
/// except the ones that frame or address the message (a client must not be able to strip those through
/// `Connection` and smuggle a second request to the endpoint).
enum HopByHop {
    private static let fixed = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]
    private static let protected: Set<String> = ["content-length", "transfer-encoding", "host"]

    static func names(in headers: HTTPHeaders) -> [String] {
        fixed + headers[canonicalForm: "Connection"].map { $0.lowercased() }.filter { !protected.contains($0) }
    }

    /// Whether the message's body is chunked (then the forwarded message must say so again, since the
    /// codec writes the body parts it is given with the framing its head announces).
    static func isChunked(_ headers: HTTPHeaders) -> Bool {
        headers[canonicalForm: "Transfer-Encoding"].contains { $0.lowercased() == "chunked" }
    }
}

extension UpstreamFailureReason {
    /// Classifies a failed connect: timeout, TLS or plain refusal.
    init(connectError error: Error) {
        switch error {
        case ChannelError.connectTimeout: self = .connectTimeout
        case is NIOSSLError: self = .tlsFailed
        default: self = .connectFailed
        }
    }
}
