import Foundation
import Hummingbird
import NIOCore

/// The demo control app's routes (reached through the gateway's `control` cluster):
///
/// | route | answer |
/// |---|---|
/// | `GET /` | the demo page (``DemoPage``) |
/// | `GET /demo/state` | ``DemoStatus`` as JSON (snake_case keys) |
/// | `POST /demo/nodes/{n}/drain` | gateway admin drain of node-n's endpoint (tunnels closed with 1012) |
/// | `POST /demo/nodes/{n}/kill` | crash node-n (sockets cut, no close frames) |
/// | `POST /demo/nodes/{n}/restart` | start node-n again (gracefully stopped first if running), endpoint `ready` |
///
/// Every answer is JSON except the page; errors are `{"error": "…"}` with 400, 404 or 503.
enum DemoControlRoutes {
    static func add(to router: Router<BasicRequestContext>, stack box: DemoStackBox) {
        router.get("/") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: DemoPage.html))
            )
        }
        router.get("/demo/state") { _, _ -> Response in
            guard let stack = box.value else { return Self.json(.serviceUnavailable, ["error": "starting"]) }
            return Self.json(.ok, stack.status())
        }
        router.post("/demo/nodes/:index/:action") { _, context -> Response in
            guard let stack = box.value else { return Self.json(.serviceUnavailable, ["error": "starting"]) }
            guard let index = context.parameters.get("index", as: Int.self), let action = context.parameters.get("action") else {
                return Self.json(.badRequest, ["error": "expected /demo/nodes/{n}/{drain,kill,restart}"])
            }
            do {
                switch action {
                case "drain":
                    let draining = try await stack.drain(index)
                    return Self.json(.ok, ["ok": "node-\(index) draining \(draining) tunnel(s) with 1012"])
                case "kill":
                    try stack.kill(index)
                    return Self.json(.ok, ["ok": "node-\(index) killed"])
                case "restart":
                    try await stack.restart(index)
                    return Self.json(.ok, ["ok": "node-\(index) running"])
                default:
                    return Self.json(.notFound, ["error": "unknown action \(action); expected drain, kill or restart"])
                }
            } catch {
                return Self.json(.badRequest, ["error": "\(error)"])
            }
        }
    }

    private static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body + "\n"))
        )
    }
}
