import NIOCore

/// Receive-buffer sizing for relayed connections.
///
/// NIO keeps each channel's receive buffer pooled for reuse, so its size is memory every idle connection
/// holds, twice per tunnel. NIO's default starts at 2 KiB; starting at 256 bytes cuts an idle tunnel's
/// footprint by about 3.5 KiB (a handshake head then takes one or two more reads), and the adaptive
/// allocator still grows the buffer whenever a read fills it, up to 64 KiB, so bulk transfers ramp up
/// within a few reads.
enum RelayBuffers {
    static let receiveAllocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65_536)
}
