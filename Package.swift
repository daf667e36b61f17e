// swift-tools-version: 6.2
import PackageDescription

/// Our own targets treat warnings as errors: Swift 6 lets several concurrency diagnostics through as
/// warnings (non-Sendable handlers, captured contexts), and those are real bugs here.
let strict: [SwiftSetting] = [.unsafeFlags(["-warnings-as-errors"])]

let package = Package(
    name: "Tether",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tether", targets: ["tether"]),
        .library(name: "TetherGatewayCore", targets: ["TetherGatewayCore"]),
        .library(name: "TetherGateway", targets: ["TetherGateway"]),
        .library(name: "TetherProtocol", targets: ["TetherProtocol"]),
        .library(name: "TetherCore", targets: ["TetherCore"]),
        .library(name: "TetherServer", targets: ["TetherServer"]),
        .library(name: "TetherClient", targets: ["TetherClient"]),
        .library(name: "TetherRedis", targets: ["TetherRedis"]),
        .library(name: "TetherRedisEngine", targets: ["TetherRedisEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "4.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // Pure gateway policy: routes, balancers, affinity, health, limits, configuration model. No sockets.
        .target(
            name: "TetherGatewayCore",
            dependencies: [
                "TetherProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // The gateway's I/O: listeners, upgrade, frame-aware relay, upstream connector, health checks, admin API.
        .target(
            name: "TetherGateway",
            dependencies: [
                "TetherGatewayCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The Tether protocol v1 (docs/protocol.md): wire types, JSON codec, error and disconnect codes.
        .target(name: "TetherProtocol", swiftSettings: strict),
        // The node's logic: channels, hub (fan-out), sessions, presence, recovery, auth, the engine protocols
        // and the memory engine. No sockets.
        .target(
            name: "TetherCore",
            dependencies: [
                "TetherProtocol",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The node's transport: WebSocket endpoint and HTTP server API on Hummingbird, embeddable in any app.
        .target(
            name: "TetherServer",
            dependencies: [
                "TetherCore", "TetherProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // A RESP3 Redis client on SwiftNIO (RESP2 fallback, pool with pipelining, self-healing pub/sub, TLS,
        // scripts). Knows nothing of Tether, so anyone can reuse it.
        .target(
            name: "TetherRedis",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The Redis engine: channels, history, presence, sessions and the node registry shared by nodes
        // anywhere on one Redis, spoken through TetherRedis.
        .target(
            name: "TetherRedisEngine",
            dependencies: [
                "TetherCore", "TetherProtocol", "TetherRedis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // The Swift client SDK: reconnect with backoff, session resume, exact ordered de-duplicated delivery.
        .target(
            name: "TetherClient",
            dependencies: [
                "TetherProtocol",
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Test support shared by test targets and `tether echo-server`/`tether bench`: a conformant
        // WebSocket echo server and a small WebSocket client, both on SwiftNIO.
        .target(
            name: "TetherTesting",
            dependencies: [
                "TetherCore", "TetherProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // The composition root: commands, config files, logging/metrics bootstrap, the load generator.
        .target(
            name: "TetherCommand",
            dependencies: [
                "TetherGatewayCore",
                "TetherGateway",
                "TetherTesting",
                "TetherProtocol", "TetherCore", "TetherServer", "TetherClient", "TetherRedis", "TetherRedisEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "tether", dependencies: ["TetherCommand"], swiftSettings: strict),
        // README's "embed a node in your Hummingbird app" example, built so it cannot rot.
        .executableTarget(
            name: "tether-embedded-example",
            dependencies: [
                "TetherCore", "TetherServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/EmbeddedNode",
            swiftSettings: strict
        ),

        .testTarget(name: "TetherGatewayCoreTests", dependencies: ["TetherGatewayCore", "TetherProtocol"], swiftSettings: strict),
        .testTarget(
            name: "TetherGatewayTests",
            dependencies: [
                "TetherGateway", "TetherGatewayCore", "TetherTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(name: "TetherProtocolTests", dependencies: ["TetherProtocol"], swiftSettings: strict),
        .testTarget(
            name: "TetherCoreTests",
            dependencies: ["TetherCore", "TetherProtocol", "TetherTesting", .product(name: "JWTKit", package: "jwt-kit")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TetherNodeTests",
            dependencies: [
                "TetherServer", "TetherCore", "TetherProtocol", "TetherClient", "TetherTesting", "TetherGateway", "TetherGatewayCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TetherRedisTests",
            dependencies: [
                "TetherRedis", "TetherTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Fuzz"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TetherRedisEngineTests",
            dependencies: [
                "TetherRedisEngine", "TetherRedis", "TetherCore", "TetherProtocol", "TetherTesting",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Several `tether node` processes on one real Redis (needs `swift build` first: it runs .build/debug/tether).
        .testTarget(
            name: "TetherClusterTests",
            dependencies: [
                "TetherClient", "TetherProtocol", "TetherTesting", "TetherRedis",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TetherCommandTests",
            dependencies: [
                "TetherCommand", "TetherGatewayCore", "TetherProtocol", "TetherTesting", "TetherRedis", "TetherRedisEngine",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
    ]
)
