// Test support: WebSocket echo server and client on SwiftNIO.
