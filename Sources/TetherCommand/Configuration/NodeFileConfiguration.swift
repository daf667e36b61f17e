import TetherCore
import TetherGatewayCore

/// What `tether node` reads from its YAML file: where to listen, which engine, and the node itself.
/// Schema: docs/configuration.md, section "Node"; example: examples/node.yaml.
public struct NodeFileConfiguration: Sendable {
    public enum EngineChoice: String, Sendable, Hashable {
        /// In-process; only nodes in this process share it.
        case memory
    }

    public var listen: HostAndPort
    public var engine: EngineChoice
    public var node: NodeConfiguration

    public init(listen: HostAndPort, engine: EngineChoice = .memory, node: NodeConfiguration) {
        self.listen = listen
        self.engine = engine
        self.node = node
    }

    /// A few lines for `--check-config` and the start-up log.
    public var summary: String {
        let namespaces = self.node.namespaces.keys.sorted().map { $0.isEmpty ? "(default)" : $0 }.joined(separator: ", ")
        return """
              node \(self.node.name) on \(self.listen.host):\(self.listen.port), engine \(self.engine.rawValue)
              namespaces: \(namespaces)
              auth: \(self.node.auth.keys.count) key(s)\(self.node.auth.allowAnonymous ? ", anonymous allowed" : ""); server API: \(self.node.apiKeys.isEmpty ? "off" : "on")
            """
    }
}
