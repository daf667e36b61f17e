/// The whole gateway configuration: listeners (each with its routes), clusters of upstream endpoints,
/// global limits and the admin listener.
///
/// A plain value: the executable decodes it from YAML, ``GatewayConfigurationValidator`` checks it, and the
/// gateway swaps a validated copy in atomically on reload. Every field has a documented default so a
/// configuration built in code only needs listeners and clusters.
public struct GatewayConfiguration: Sendable, Equatable {
    public var listeners: [ListenerConfiguration]
    public var clusters: [ClusterConfiguration]
    public var limits: LimitsConfiguration
    public var admin: AdminConfiguration?
    /// How long a graceful shutdown (SIGTERM) spreads its 1001 closes over before it exits.
    public var shutdownDrainWindow: Duration

    public init(
        listeners: [ListenerConfiguration] = [],
        clusters: [ClusterConfiguration] = [],
        limits: LimitsConfiguration = .init(),
        admin: AdminConfiguration? = nil,
        shutdownDrainWindow: Duration = .seconds(10)
    ) {
        self.listeners = listeners
        self.clusters = clusters
        self.limits = limits
        self.admin = admin
        self.shutdownDrainWindow = shutdownDrainWindow
    }

    /// The cluster with the given name, if any.
    public func cluster(named name: String) -> ClusterConfiguration? {
        clusters.first { $0.name == name }
    }
}
