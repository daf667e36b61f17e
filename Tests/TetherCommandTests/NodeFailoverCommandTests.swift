import ArgumentParser
import Testing

@testable import TetherCommand

/// `tether bench failover`'s option checks, publication data and server API answers.
@Suite struct NodeFailoverCommandTests {
    static let valid = [
        "--url", "ws://127.0.0.1:9001/connection/websocket", "--url", "ws://127.0.0.1:9003/connection/websocket",
        "--api-url", "http://127.0.0.1:9002/api", "--api-key", "key",
    ]

    @Test func defaults() throws {
        let command = try NodeFailoverCommand.parse(Self.valid)
        #expect(command.urls.count == 2)
        #expect(command.clients == 100 && command.channels == 10 && command.rate == 200)
        #expect(command.duration.duration == .seconds(10) && command.killAfter.duration == .seconds(3))
        #expect(command.killPid == nil)
        #expect(command.workers == 4)
        #expect(try command.apiTarget().port == 9002)
    }

    @Test(arguments: [
        ["--clients", "5001"], ["--clients", "0"], ["--rate", "20001"], ["--duration", "11m"], ["--duration", "0s"],
        ["--kill-after", "10s"], ["--kill-pid", "1"], ["--channels", "0"], ["--token-secret", "short"],
        ["--drain", "2m"], ["--url", "ws://10.0.0.1:9001/connection/websocket"],
    ])
    func outOfBoundsOptionsAreRefused(_ extra: [String]) {
        #expect(throws: (any Error).self) { try NodeFailoverCommand.parse(Self.valid + extra) }
    }

    @Test func boundsAreInclusive() throws {
        let command = try NodeFailoverCommand.parse(Self.valid + ["--clients", "5000", "--rate", "20000", "--duration", "10m", "--kill-after", "9m"])
        #expect(command.clients == 5000)
        #expect(command.workers == 64)
    }

    @Test func targetsMustBeLoopback() {
        #expect(throws: (any Error).self) { try NodeFailoverCommand.parse(["--api-url", "http://127.0.0.1:1/api", "--api-key", "k"]) }
        #expect(throws: (any Error).self) {
            try NodeFailoverCommand.parse(["--url", "ws://127.0.0.1:1/", "--api-url", "http://192.168.1.1:1/api", "--api-key", "k"])
        }
        #expect(throws: (any Error).self) {
            try NodeFailoverCommand.parse(["--url", "ws://127.0.0.1:1/", "--api-url", "https://127.0.0.1:1/api", "--api-key", "k"])
        }
    }

    @Test func onlyATetherNodeMayBeKilled() {
        #expect(NodeFailoverCommand.isTetherNode(["/work/main/.build/release/tether", "node", "--config", "a.yaml"]))
        #expect(!NodeFailoverCommand.isTetherNode(["/usr/bin/redis-server", "*:6379"]))
        #expect(!NodeFailoverCommand.isTetherNode(["tether", "bench", "failover"]))
        #expect(NodeFailoverCommand.killRefusal(pid: Int32.max) != nil)
    }

    @Test func publicationDataCarriesItsSequenceNumber() {
        #expect(NodeFailoverPayload.data(seq: 42) == #"{"seq":42}"#)
        #expect(NodeFailoverPayload.seq(in: NodeFailoverPayload.data(seq: 18_446_744_073_709_551_615)) == UInt64.max)
        #expect(NodeFailoverPayload.seq(in: #"{ "seq" : 7, "x": 1}"#) == 7)
        #expect(NodeFailoverPayload.seq(in: #"{"n":7}"#) == nil)
        #expect(NodeFailoverPayload.seq(in: #"{"seq":"7"}"#) == nil)
        #expect(NodeFailoverPayload.seq(in: #"{"seq":99999999999999999999}"#) == nil)
    }

    @Test func publishBodiesNameTheChannelAndAKeyPerPublication() throws {
        let publisher = NodeFailoverPublisher(
            api: try BenchTarget(url: "ws://127.0.0.1:1/api"), apiKey: "k", channels: ["bench:f-0", "bench:f-1"], rate: 10,
            workers: 1, run: "run1")
        #expect(publisher.body(seq: 3) == #"{"channel":"bench:f-1","data":{"seq":3},"key":"run1-3"}"#)
    }

    @Test func serverAPIAnswers() throws {
        let ok = try NodeFailoverAPIConnection.answer(status: 200, body: #"{"position":{"offset":5,"epoch":"ab"},"duplicate":true}"#)
        guard case .acknowledged(let result) = ok else {
            Issue.record("not acknowledged: \(ok)")
            return
        }
        #expect(result.position.offset == 5 && result.position.epoch == "ab" && result.duplicate)
        let busy = try NodeFailoverAPIConnection.answer(status: 503, body: #"{"error":{"code":114,"message":"engine unavailable","temporary":true}}"#)
        guard case .temporary = busy else {
            Issue.record("503 not temporary: \(busy)")
            return
        }
        let bad = try NodeFailoverAPIConnection.answer(status: 400, body: #"{"error":{"code":107,"message":"bad request"}}"#)
        guard case .refused = bad else {
            Issue.record("400 not refused: \(bad)")
            return
        }
        #expect(throws: BenchError.self) { try NodeFailoverAPIConnection.answer(status: 200, body: "not json") }
    }
}
