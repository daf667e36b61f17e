import Testing

@testable import TetherProtocol

@Suite struct DisconnectCodeTests {
    @Test func tableMatchesTheProtocol() {
        let expected: [(UInt16, Bool)] = [
            (1000, false), (1001, true), (1006, true), (1009, false), (1011, true), (1012, true), (1013, true),
            (3000, true), (3001, true), (3002, true), (3003, true), (3004, true), (3005, true), (3006, true),
            (3007, true), (3500, false), (3501, false), (3502, false), (3504, false),
        ]
        #expect(DisconnectCode.all.map(\.code) == expected.map(\.0))
        for (code, reconnect) in expected {
            #expect(DisconnectCode(code: code).reconnect == reconnect, "\(code)")
            #expect(DisconnectCode.shouldReconnect(closeCode: code) == reconnect, "\(code)")
            #expect(DisconnectCode(code: code).reason.utf8.count <= 123, "fits a close frame")
        }
        #expect(DisconnectCode(code: 3501) == .badRequest)
        #expect(DisconnectCode.shutdown.reason == "shutdown")
    }

    @Test func ruleForUnlistedCodes() {
        for code: UInt16 in [3008, 3100, 3499, 4000, 4200, 4499, 1004, 1005, 1014, 1015] {
            #expect(DisconnectCode.shouldReconnect(closeCode: code), "\(code)")
            #expect(DisconnectCode(code: code).reconnect, "\(code)")
        }
        for code: UInt16 in [3500, 3503, 3505, 3999, 4500, 4999, 1002, 1003, 1007, 1008, 1010, 0, 999, 2000, 5000, 65535] {
            #expect(!DisconnectCode.shouldReconnect(closeCode: code), "\(code)")
        }
        #expect(DisconnectCode(code: 4321).reason == "close 4321")
    }

    @Test func errorCodesMatchTheProtocol() {
        #expect(ErrorCode.allDocumented.count == 17)
        let temporary = ErrorCode.allDocumented.filter(\.isTemporary).map(\.rawValue)
        #expect(temporary == [100, 110, 114])
        #expect(ErrorCode.permissionDenied.rawValue == 103)
        #expect(ErrorCode.invalidChannel.name == "invalid channel")
        #expect(ErrorCode(rawValue: 150).name == "error 150")
        #expect(!ErrorCode(rawValue: 150).isTemporary)
        #expect(ProtocolError(.unavailable).temporary)
        #expect(ProtocolError(.unavailable).message == "unavailable")
        #expect(!ProtocolError(.unavailable, "x", temporary: false).temporary)
    }

    @Test func disconnectPushFromCode() {
        #expect(Push.disconnect(.slowConsumer) == .disconnect(code: 3003, reason: "slow consumer", reconnect: true, delayMs: nil))
        #expect(Push.disconnect(.unsupportedVersion).encoded() == #"{"push":"disconnect","code":3504,"reason":"unsupported protocol version","reconnect":false}"#)
    }
}
