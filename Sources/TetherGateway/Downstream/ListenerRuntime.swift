import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import TetherGatewayCore

/// A bound listener: its current configuration, route table and TLS context (all swapped atomically on
/// reload; connections read them when a request head arrives) and its server channel.
final class ListenerRuntime: Sendable {
    let name: String
    /// A listener configuration with its TLS files read: everything a reload must build, and that may fail,
    /// before it changes anything.
    struct Current {
        var configuration: ListenerConfiguration
        var routes: RouteTable
        var resolver: ClientIPResolver
        var tls: NIOSSLContext?
    }
    private let current: NIOLockedValueBox<Current>
    let serverChannel = NIOLockedValueBox<Channel?>(nil)

    init(configuration: ListenerConfiguration) throws {
        name = configuration.name
        current = NIOLockedValueBox(try Self.prepare(configuration))
    }

    static func prepare(_ configuration: ListenerConfiguration) throws -> Current {
        Current(
            configuration: configuration,
            routes: RouteTable(routes: configuration.routes),
            resolver: ClientIPResolver(trustedProxies: configuration.trustedProxies),
            tls: try configuration.tls.map(TLSContexts.server)
        )
    }

    /// Swaps in a prepared configuration of this listener (same name and address).
    func commit(_ prepared: Current) {
        current.withLockedValue { $0 = prepared }
    }

    var configuration: ListenerConfiguration { current.withLockedValue { $0.configuration } }
    var routes: RouteTable { current.withLockedValue { $0.routes } }
    var resolver: ClientIPResolver { current.withLockedValue { $0.resolver } }
    var tlsContext: NIOSSLContext? { current.withLockedValue { $0.tls } }

    var localAddress: SocketAddress? { serverChannel.withLockedValue { $0?.localAddress } }
}
