import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import TetherGatewayCore

/// A bound listener: its current configuration, route table and TLS context (all swapped atomically on
/// reload; connections read them when a request head arrives) and its server channel.
final class ListenerRuntime: Sendable {
    let name: String
    private struct Current {
        var configuration: ListenerConfiguration
        var routes: RouteTable
        var resolver: ClientIPResolver
        var tls: NIOSSLContext?
    }
    private let current: NIOLockedValueBox<Current>
    let serverChannel = NIOLockedValueBox<Channel?>(nil)

    init(configuration: ListenerConfiguration) throws {
        name = configuration.name
        current = NIOLockedValueBox(try Self.make(configuration))
    }

    private static func make(_ configuration: ListenerConfiguration) throws -> Current {
        Current(
            configuration: configuration,
            routes: RouteTable(routes: configuration.routes),
            resolver: ClientIPResolver(trustedProxies: configuration.trustedProxies),
            tls: try configuration.tls.map(TLSContexts.server)
        )
    }

    /// Swaps in a new configuration of this listener (same name and address), re-reading TLS files.
    func update(_ configuration: ListenerConfiguration) throws {
        let next = try Self.make(configuration)
        current.withLockedValue { $0 = next }
    }

    var configuration: ListenerConfiguration { current.withLockedValue { $0.configuration } }
    var routes: RouteTable { current.withLockedValue { $0.routes } }
    var resolver: ClientIPResolver { current.withLockedValue { $0.resolver } }
    var tlsContext: NIOSSLContext? { current.withLockedValue { $0.tls } }

    var localAddress: SocketAddress? { serverChannel.withLockedValue { $0?.localAddress } }
}
