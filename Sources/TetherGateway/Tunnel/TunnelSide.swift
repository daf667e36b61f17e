/// The two legs of a tunnel. `downstream` faces the client, `upstream` faces the endpoint.
enum TunnelSide: Int, Sendable {
    case downstream = 0
    case upstream = 1

    var other: TunnelSide { self == .downstream ? .upstream : .downstream }

    /// Frames the gateway writes towards this side must be masked when the side is a server (RFC 6455 §5.3).
    var needsMasking: Bool { self == .upstream }

    var label: String { self == .downstream ? "downstream" : "upstream" }
}
