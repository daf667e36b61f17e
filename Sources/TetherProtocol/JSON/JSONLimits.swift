/// Bounds applied while reading untrusted JSON. Every parse in this module takes one, so no input can make the
/// parser use unbounded memory or stack.
public struct JSONLimits: Sendable, Hashable {
    /// Largest accepted input, in bytes of UTF-8. Larger input fails before any byte is examined
    /// (`JSONParseError.Kind.tooLarge`).
    public var maxBytes: Int
    /// Deepest accepted nesting of arrays and objects; the top-level container is depth 1.
    public var maxDepth: Int

    public init(maxBytes: Int, maxDepth: Int = 64) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
    }

    /// 64 KiB (the node's default `max_message_size`), depth 64.
    public static let `default` = JSONLimits(maxBytes: 65_536, maxDepth: 64)
}
