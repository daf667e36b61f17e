import NIOCore
import NIOPosix
import Synchronization

/// A loopback TCP relay in front of one demo node, so the demo can crash a node without touching the
/// node's code: the gateway knows the proxy's port (stable for the whole run), the proxy forwards to the
/// node's current port (which changes on every restart).
///
/// ``cut()`` simulates a crash: every relayed connection is closed at once on both sides, without a
/// WebSocket close frame (the gateway then ends the client's tunnel as it would for a dead endpoint), and
/// new connections are closed as soon as they are accepted until ``forward(to:)`` names a backend again.
/// (Cancelling the node's Hummingbird task would not do: the WebSocket layer then sends close 1000, which
/// tells clients not to reconnect.)
///
/// Threading: every method may be called from any task.
final class DemoFaultProxy: Sendable {
    private struct State {
        var backendPort: Int?
        var connections: [ObjectIdentifier: any Channel] = [:]
    }

    private let state = Mutex(State())
    private let server: any Channel

    /// The port the gateway connects to.
    let port: Int

    private init(server: any Channel, port: Int) {
        self.server = server
        self.port = port
    }

    /// Binds `127.0.0.1:port` (0: any free port) and relays nothing until ``forward(to:)``.
    static func bind(port: Int = 0, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> DemoFaultProxy {
        let box = Mutex<DemoFaultProxy?>(nil)
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    let handler = DemoRelayHandler()
                    try child.pipeline.syncOperations.addHandler(handler)
                    guard let proxy = box.withLock({ $0 }), let backend = proxy.admit(child) else {
                        child.close(promise: nil)
                        return
                    }
                    let connect = ClientBootstrap(group: child.eventLoop)
                        .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                        .channelInitializer { upstream in
                            upstream.eventLoop.makeCompletedFuture {
                                try upstream.pipeline.syncOperations.addHandler(DemoRelayHandler(partner: child))
                            }
                        }
                        .connect(host: "127.0.0.1", port: backend)
                    connect.assumeIsolated().whenComplete { result in
                        switch result {
                        case .success(let upstream):
                            if proxy.admit(upstream) == nil { upstream.close(promise: nil) }
                            handler.attach(upstream)
                        case .failure:
                            child.close(promise: nil)
                        }
                    }
                }
            }
            .bind(host: "127.0.0.1", port: port)
            .get()
        let proxy = DemoFaultProxy(server: server, port: server.localAddress?.port ?? port)
        box.withLock { $0 = proxy }
        return proxy
    }

    /// Relays new connections to the node on `127.0.0.1:port`.
    func forward(to port: Int) {
        self.state.withLock { $0.backendPort = port }
    }

    /// Stops relaying new connections (they are closed on accept) without touching established ones.
    func stopForwarding() {
        self.state.withLock { $0.backendPort = nil }
    }

    /// The crash: refuses new connections and closes every relayed one, both sides, without a close frame.
    func cut() {
        let connections = self.state.withLock { state in
            state.backendPort = nil
            defer { state.connections.removeAll() }
            return Array(state.connections.values)
        }
        for connection in connections { connection.close(promise: nil) }
    }

    /// Relayed connections open now (both sides of each counted).
    var openConnectionCount: Int { self.state.withLock { $0.connections.count } }

    /// Closes the listener and every relayed connection.
    func close() async {
        self.cut()
        try? await self.server.close()
    }

    /// Tracks `channel` until it closes; returns the backend port, or nil when the node is down.
    private func admit(_ channel: any Channel) -> Int? {
        let id = ObjectIdentifier(channel)
        let port = self.state.withLock { state -> Int? in
            guard let port = state.backendPort else { return nil }
            state.connections[id] = channel
            return port
        }
        guard port != nil else { return nil }
        channel.closeFuture.whenComplete { _ in
            _ = self.state.withLock { $0.connections.removeValue(forKey: id) }
        }
        return port
    }
}
