import TetherCore
import TetherProtocol

/// What travels on a channel's events pub/sub channel and in its stream: compact text, parsed without a
/// JSON pass over the publication data.
///
/// - Payload (the stream's `p` field, also the tail of a publication message): `INFOLEN INFO DATA`, where
///   `INFOLEN` is the decimal byte length of `INFO` (the publisher's ClientInfo JSON, 0 when absent) and `DATA`
///   is the publication's JSON text, verbatim.
/// - Publication message: `p EPOCH OFFSET PAYLOAD` without the spaces after `p` (`pEPOCH OFFSET PAYLOAD`).
///   The publish script writes it, so history and live delivery carry the same bytes.
/// - Presence: `j` or `l` followed by the ClientInfo JSON.
/// - Control (on the control channel): `c` followed by the message's JSON.
enum RedisEventMessage: Sendable, Equatable {
    case publication(epoch: String, Publication)
    case presence(PresenceEvent)
    case control(RawJSON)

    /// The stream payload for a publication's data and info.
    static func payload(data: RawJSON, info: ClientInfo?) -> String {
        let info = info?.encoded() ?? ""
        return "\(info.utf8.count) \(info)\(data.text)"
    }

    static func presence(_ event: PresenceEvent) -> String {
        switch event {
        case .join(let info): "j" + info.encoded()
        case .leave(let info): "l" + info.encoded()
        }
    }

    static func control(_ message: RawJSON) -> String {
        "c" + message.text
    }

    /// Parses a message; nil for anything malformed (the engine counts and skips those).
    init?(_ bytes: some Collection<UInt8>) {
        guard let kind = bytes.first else { return nil }
        let rest = bytes.dropFirst()
        switch kind {
        case UInt8(ascii: "p"):
            guard let space = rest.firstIndex(of: UInt8(ascii: " ")) else { return nil }
            let epoch = String(decoding: rest[..<space], as: UTF8.self)
            let afterEpoch = rest[rest.index(after: space)...]
            guard !epoch.isEmpty, let (offset, payload) = Self.number(afterEpoch),
                  let publication = Self.publication(offset: offset, payload: payload)
            else { return nil }
            self = .publication(epoch: epoch, publication)
        case UInt8(ascii: "j"), UInt8(ascii: "l"):
            guard let info = Self.clientInfo(rest) else { return nil }
            self = .presence(kind == UInt8(ascii: "j") ? .join(info) : .leave(info))
        case UInt8(ascii: "c"):
            guard let message = try? RawJSON(validating: rest) else { return nil }
            self = .control(message)
        default:
            return nil
        }
    }

    /// A publication from its offset and stream payload.
    static func publication(offset: UInt64, payload: some Collection<UInt8>) -> Publication? {
        guard let (infoLength, afterLength) = Self.number(payload), infoLength <= afterLength.count else { return nil }
        let infoEnd = afterLength.index(afterLength.startIndex, offsetBy: Int(infoLength))
        var info: ClientInfo?
        if infoLength > 0 {
            guard let parsed = Self.clientInfo(afterLength[..<infoEnd]) else { return nil }
            info = parsed
        }
        let data = String(decoding: afterLength[infoEnd...], as: UTF8.self)
        guard !data.isEmpty else { return nil }
        return Publication(offset: offset, data: RawJSON(unchecked: data), info: info)
    }

    /// A decimal number followed by one space, and what follows the space.
    private static func number<C: Collection<UInt8>>(_ bytes: C) -> (UInt64, C.SubSequence)? {
        var value: UInt64 = 0
        var index = bytes.startIndex
        var digits = 0
        while index != bytes.endIndex, let digit = Self.digit(bytes[index]) {
            guard digits < 19 else { return nil }
            value = value * 10 + UInt64(digit)
            digits += 1
            index = bytes.index(after: index)
        }
        guard digits > 0, index != bytes.endIndex, bytes[index] == UInt8(ascii: " ") else { return nil }
        return (value, bytes[bytes.index(after: index)...])
    }

    private static func digit(_ byte: UInt8) -> UInt8? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : nil
    }

    private static func clientInfo(_ bytes: some Collection<UInt8>) -> ClientInfo? {
        guard let raw = try? RawJSON(validating: bytes), let value = try? raw.parsed() else { return nil }
        return try? ClientInfo(json: value)
    }
}
