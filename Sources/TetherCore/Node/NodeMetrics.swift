import Metrics

/// The node's Prometheus metrics (names documented in docs/architecture.md). Built from an injected
/// factory so tests can record without bootstrapping the global metrics system.
struct NodeMetrics: Sendable {
    let connectionsOpened: Counter
    let connectionsRefused: Counter
    let connections: Gauge
    let publications: Counter
    let slowConsumerDisconnects: Counter
    let gapsStarted: Counter
    let droppedPresencePushes: Counter
    let commandErrors: Counter

    init(node: String, factory: any MetricsFactory) {
        let dimensions = [("node", node)]
        self.connectionsOpened = Counter(label: "tether_node_connections_opened_total", dimensions: dimensions, factory: factory)
        self.connectionsRefused = Counter(label: "tether_node_connections_refused_total", dimensions: dimensions, factory: factory)
        self.connections = Gauge(label: "tether_node_connections", dimensions: dimensions, factory: factory)
        self.publications = Counter(label: "tether_node_publications_total", dimensions: dimensions, factory: factory)
        self.slowConsumerDisconnects = Counter(label: "tether_node_slow_consumer_disconnects_total", dimensions: dimensions, factory: factory)
        self.gapsStarted = Counter(label: "tether_node_gaps_total", dimensions: dimensions, factory: factory)
        self.droppedPresencePushes = Counter(label: "tether_node_presence_pushes_dropped_total", dimensions: dimensions, factory: factory)
        self.commandErrors = Counter(label: "tether_node_command_errors_total", dimensions: dimensions, factory: factory)
    }
}
