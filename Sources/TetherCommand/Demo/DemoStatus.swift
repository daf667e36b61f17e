/// `GET /demo/state`: the ticker's last seq and each node's state, as the page shows them.
struct DemoStatus: Sendable, Codable {
    struct Node: Sendable, Codable {
        /// 1-based, as in the control routes.
        var index: Int
        var name: String
        /// `running`, `killed` or `stopped`.
        var phase: String
        /// The gateway's admin state of the node's endpoint: `ready`, `drain` or `maint`.
        var gatewayState: String
        /// The gateway's health check verdict.
        var healthy: Bool
        /// Gateway tunnels to the node.
        var tunnels: Int
        /// Client connections the node holds.
        var clients: Int
        /// The endpoint address the gateway knows (the node's proxy).
        var endpoint: String
    }

    var lastSeq: Int
    var adminURL: String
    var nodes: [Node]
}
