import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import TetherGatewayCore

/// Opens connections to endpoints on a given event loop (the downstream connection's, so a tunnel's two legs
/// share one loop and need no locks), with a connect timeout, half-closure enabled, optional TLS, and the
/// HTTP/1.1 client codec in front of an ``UpstreamHTTPHandler``.
struct UpstreamConnector: Sendable {
    var connectTimeout: TimeAmount
    /// Present when the cluster speaks TLS to its endpoints.
    var tls: NIOSSLContext?
    var serverName: String?

    /// Connects; the returned channel's pipeline ends with a fresh ``UpstreamHTTPHandler``
    /// (`pipeline.syncOperations.handler(type:)` finds it).
    func connect(to address: HostAndPort, on eventLoop: EventLoop) -> EventLoopFuture<Channel> {
        let tls = self.tls
        let serverName = self.serverName ?? address.host
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.recvAllocator, value: RelayBuffers.receiveAllocator)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        let hostname = serverName.isIPAddressLiteral ? nil : serverName
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: hostname))
                    }
                    try sync.addHandler(HTTPRequestEncoder())
                    try sync.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)))
                    try sync.addHandler(UpstreamHTTPHandler())
                }
            }
            .connect(host: address.host, port: address.port)
    }
}

extension String {
    var isIPAddressLiteral: Bool { IPAddress(parsing: self) != nil }
}
