/// The outcome of looking for a PROXY protocol header at the start of a connection's bytes.
public enum ProxyProtocolParseResult: Sendable, Equatable {
    /// The bytes so far are a valid beginning of a header; read more and parse again from the start.
    case needMoreData
    /// A complete header; drop ``ProxyHeader/consumedBytes`` bytes and pass the rest to the application.
    case header(ProxyHeader)
    /// Not a PROXY protocol header, or a malformed one: the connection must be closed. The string says why.
    case invalid(String)
}
