/// One JSON value kept as its compact encoded text, so publication data is parsed once on the way in and
/// then copied into every outgoing frame without being decoded or re-encoded.
///
/// Invariant: `text` is one complete, valid JSON value (RFC 8259) without surrounding whitespace. Values
/// built with ``init(unchecked:)`` must already satisfy it; the protocol codec only ever creates validated
/// ones.
public struct RawJSON: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    /// Wraps text the caller guarantees to be one valid JSON value.
    public init(unchecked text: String) {
        self.text = text
    }

    /// Size of the encoded value in bytes (what `max_publication_size` limits).
    public var byteCount: Int { self.text.utf8.count }

    public var description: String { self.text }

    public static let null = RawJSON(unchecked: "null")
    public static let emptyObject = RawJSON(unchecked: "{}")
}
