import NIOHTTP1

/// The request head the gateway sends to an endpoint, built from the client's.
enum UpstreamRequestHead {
    /// A WebSocket opening handshake (`Upgrade: websocket` and `Connection: upgrade`).
    static func isWebSocketUpgrade(_ head: HTTPRequestHead) -> Bool {
        head.headers["Upgrade"].contains { $0.lowercased().contains("websocket") }
            && head.headers[canonicalForm: "Connection"].contains { $0.lowercased() == "upgrade" }
    }

    /// For a plain request, hop-by-hop headers are removed (a chunked body stays chunked) and the upstream
    /// connection is `Connection: close`; an upgrade keeps its `Upgrade`/`Connection` headers. Then the
    /// identity headers: `X-Real-IP` is the resolved client IP; `X-Forwarded-For` gets the direct peer
    /// appended when that peer is a trusted proxy, else is replaced by it; `X-Forwarded-Proto`/`-Host` are set
    /// unless a trusted proxy already set them; `Forwarded` from an untrusted peer is dropped.
    static func make(
        from head: HTTPRequestHead,
        isUpgrade: Bool,
        peerTrusted: Bool,
        directPeer: String,
        clientIP: String?,
        isTLS: Bool
    ) -> HTTPRequestHead {
        var upstream = head
        var headers = head.headers
        if !isUpgrade {
            for name in HopByHop.names(in: headers) { headers.remove(name: name) }
            if HopByHop.isChunked(head.headers) {
                headers.remove(name: "Content-Length")
                headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
            }
            headers.replaceOrAdd(name: "Connection", value: "close")
        }
        if !peerTrusted {
            // Identity headers from an untrusted peer are the client's own words: never pass them on.
            headers.remove(name: "Forwarded")
        }
        headers.replaceOrAdd(name: "X-Real-IP", value: clientIP ?? directPeer)
        let existing = peerTrusted ? headers["X-Forwarded-For"].joined(separator: ", ") : ""
        headers.replaceOrAdd(name: "X-Forwarded-For", value: existing.isEmpty ? directPeer : existing + ", " + directPeer)
        if !(peerTrusted && headers.contains(name: "X-Forwarded-Proto")) {
            headers.replaceOrAdd(name: "X-Forwarded-Proto", value: isTLS ? "https" : "http")
        }
        if !(peerTrusted && headers.contains(name: "X-Forwarded-Host")), let host = head.headers.first(name: "Host") {
            headers.replaceOrAdd(name: "X-Forwarded-Host", value: host)
        }
        upstream.headers = headers
        return upstream
    }
}
