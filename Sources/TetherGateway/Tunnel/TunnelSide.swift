/// The two legs of a tunnel. `downstream` faces the client, `upstream` faces the endpoint.
enum TunnelSide: Int, Sendable {
    case downstream = 0
    case upstream = 1

    var other: TunnelSide { self == .downstream ? .upstream : .downstream }

    /// Frames the gateway writes towards this side must be masked when the side is a server (RFC 6455 §5.3).
    var needsMasking: Bool { self == .upstream }

    var label: String { self == .downstream ? "downstream" : "upstream" }
}

/// One value per side of a tunnel, stored inline (a two-element array would be one more heap allocation per
/// tunnel, and an idle tunnel should cost as little as possible). Subscripted by side or by its raw value.
struct SidePair<Value> {
    private var downstream: Value
    private var upstream: Value

    init(_ downstream: Value, _ upstream: Value) {
        self.downstream = downstream
        self.upstream = upstream
    }

    init(repeating value: Value) {
        self.init(value, value)
    }

    subscript(side: TunnelSide) -> Value {
        get { side == .downstream ? downstream : upstream }
        set {
            if side == .downstream { downstream = newValue } else { upstream = newValue }
        }
    }

    subscript(index: Int) -> Value {
        get { self[TunnelSide(rawValue: index)!] }
        set { self[TunnelSide(rawValue: index)!] = newValue }
    }

    var both: [Value] { [downstream, upstream] }
}
