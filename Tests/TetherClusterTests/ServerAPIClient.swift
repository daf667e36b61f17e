import NIOCore
import NIOPosix
import TetherProtocol

/// A minimal client for a node's server API (`POST /api/<method>`, docs/protocol.md section 8): one
/// HTTP/1.1 request per TCP connection (`Connection: close`), so it needs no state and survives nodes
/// going away. Thread-safe (stateless).
struct ServerAPIClient: Sendable {
    /// What a publish came to.
    enum PublishOutcome: Sendable, Equatable {
        /// `200`: the publication has its position (`duplicate` when the key was seen before).
        case published(PublishResult)
        /// A non-2xx status with the protocol error it carried.
        case refused(status: Int, code: Int?, temporary: Bool, message: String)
    }

    /// The request could not be made or answered (connection refused, reset, timeout, unparsable reply).
    struct TransportError: Error, CustomStringConvertible {
        var description: String
    }

    let port: Int
    var timeout: Duration = .seconds(5)

    /// `POST /api/publish` with `{"channel":…,"data":…,"key":…}`.
    func publish(channel: String, data: RawJSON, key: String?) async throws -> PublishOutcome {
        var fields = [
            JSONObject.Member(key: "channel", value: .string(channel)), JSONObject.Member(key: "data", value: try data.parsed()),
        ]
        if let key { fields.append(JSONObject.Member(key: "key", value: .string(key))) }
        let (status, body) = try await self.post("publish", body: RawJSON(JSONValue.object(JSONObject(fields))).text)
        let value: JSONValue
        do {
            value = try JSONValue(parsing: body)
        } catch {
            throw TransportError(description: "publish on port \(self.port): status \(status), body not JSON: \(body.prefix(200))")
        }
        if status == 200 {
            do {
                return .published(try PublishResult(json: value))
            } catch {
                throw TransportError(description: "publish on port \(self.port): unexpected result \(body.prefix(200))")
            }
        }
        let error = value["error"]
        return .refused(
            status: status, code: error?["code"]?.intValue, temporary: error?["temporary"]?.boolValue ?? false,
            message: error?["message"]?.stringValue ?? body)
    }

    /// Sends `POST /api/<method>` with a JSON `body`; returns the status and the response body.
    func post(_ method: String, body: String) async throws -> (status: Int, body: String) {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(2))
                .connect(host: "127.0.0.1", port: self.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw TransportError(description: "connect to 127.0.0.1:\(self.port) failed: \(error)")
        }
        let underlying = channel.channel
        let timeout = self.timeout
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            underlying.close(promise: nil)
        }
        defer { watchdog.cancel() }
        let length = body.utf8.count
        let request = "POST /api/\(method) HTTP/1.1\r\nHost: 127.0.0.1:\(self.port)\r\n"
            + "Authorization: apikey \(ClusterNodeConfiguration.apiKey)\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(length)\r\nConnection: close\r\n\r\n" + body
        let received: [UInt8]
        do {
            received = try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: request))
                var bytes: [UInt8] = []
                for try await chunk in inbound {
                    bytes.append(contentsOf: chunk.readableBytesView)
                    if Self.parse(bytes) != nil { break }
                }
                return bytes
            }
        } catch {
            throw TransportError(description: "POST /api/\(method) on port \(self.port) failed: \(error)")
        }
        guard let response = Self.parse(received) else {
            throw TransportError(
                description: "POST /api/\(method) on port \(self.port): incomplete response (timeout \(timeout) or closed): "
                    + String(decoding: received.prefix(200), as: UTF8.self))
        }
        return response
    }

    /// The status and body of a complete HTTP/1.1 response in `bytes` (`Content-Length` or chunked), nil
    /// while incomplete.
    static func parse(_ bytes: [UInt8]) -> (status: Int, body: String)? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = self.find(separator, in: bytes, from: 0) else { return nil }
        let head = String(decoding: bytes[0..<end], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var contentLength: Int?
        var chunked = false
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            if name == "content-length" { contentLength = Int(value) }
            if name == "transfer-encoding", value.lowercased().contains("chunked") { chunked = true }
        }
        let body = Array(bytes[(end + separator.count)...])
        if chunked {
            guard let decoded = self.dechunk(body) else { return nil }
            return (status, String(decoding: decoded, as: UTF8.self))
        }
        let length = contentLength ?? 0
        guard body.count >= length else { return nil }
        return (status, String(decoding: body.prefix(length), as: UTF8.self))
    }

    /// A chunked body decoded, nil until its last (zero-size) chunk has arrived.
    private static func dechunk(_ body: [UInt8]) -> [UInt8]? {
        let lineEnd: [UInt8] = Array("\r\n".utf8)
        var decoded: [UInt8] = []
        var index = 0
        while true {
            guard let end = self.find(lineEnd, in: body, from: index) else { return nil }
            let sizeText = String(decoding: body[index..<end], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: " "), radix: 16) else { return nil }
            if size == 0 { return decoded }
            let start = end + lineEnd.count
            guard body.count >= start + size + lineEnd.count else { return nil }
            decoded.append(contentsOf: body[start..<(start + size)])
            index = start + size + lineEnd.count
        }
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= needle.count, start <= bytes.count - needle.count else { return nil }
        for index in start...(bytes.count - needle.count) where bytes[index..<(index + needle.count)].elementsEqual(needle) {
            return index
        }
        return nil
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = self
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
