import Testing

@testable import TetherProtocol

/// A bounded, deterministic mutation loop: mutated valid commands and server messages never trap and always
/// yield one of the documented outcomes.
@Suite struct CommandFuzzTests {
    /// SplitMix64: small, seeded, the same sequence on every platform.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let interesting: [UInt8] = Array(#"{}[]",:\"0123456789-+.eE tfnu"#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC3, 0xED, 0xF4, 0xFF]

    static func mutate(_ input: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        var bytes = input
        let rounds = Int.random(in: 1...4, using: &random)
        for _ in 0..<rounds {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<7, using: &random) {
            case 0 where !bytes.isEmpty:
                bytes[position] = UInt8.random(in: 0...255, using: &random)
            case 1:
                bytes.insert(Self.interesting.randomElement(using: &random)!, at: position)
            case 2 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...8, using: &random))
                bytes.removeSubrange(position..<end)
            case 3 where !bytes.isEmpty:
                let end = min(bytes.count, position + Int.random(in: 1...16, using: &random))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            case 4:
                bytes = Array(bytes.prefix(position))
            case 5 where !bytes.isEmpty:
                bytes[position] = Self.interesting.randomElement(using: &random)!
            default:
                bytes.insert(contentsOf: Array(#"{"a":[1,"#.utf8), at: position)
            }
        }
        return bytes
    }

    @Test func mutatedCommandsAlwaysYieldADocumentedOutcome() {
        let seeds = CommandGoldenTests.goldens.map { Array($0.text.utf8) }
        var random = SplitMix64(state: 0x7E7E_0001)
        var counts = (command: 0, invalid: 0, frame: 0)
        for iteration in 0..<20_000 {
            let input = Self.mutate(seeds[iteration % seeds.count], using: &random)
            let limits = JSONLimits(maxBytes: 4096, maxDepth: 8)
            switch ClientCommand.decode(input, limits: limits) {
            case .command(let command):
                counts.command += 1
                // Whatever decoded re-encodes to a text that decodes to the same command.
                let again = ClientCommand.decode(command.encoded(), limits: JSONLimits(maxBytes: 1 << 20, maxDepth: 8))
                #expect(again == .command(command), "\(String(decoding: input, as: UTF8.self))")
            case .invalid(let id, let error):
                counts.invalid += 1
                #expect(id >= 1)
                #expect(error.code == .badRequest || error.code == .unknownOp)
                #expect(!error.temporary)
            case .frameError(let error):
                counts.frame += 1
                #expect(error.closeCode == .badRequest || error.closeCode == .messageTooBig)
                // The envelope reader and the value parser agree on what is valid JSON.
                if case .invalidJSON(let parseError) = error.reason {
                    #expect(throws: parseError) { try JSONValue.parse(input, limits: limits) }
                } else {
                    #expect(throws: Never.self) { try JSONValue.parse(input, limits: limits) }
                }
            }
        }
        // The loop exercised all three outcomes.
        #expect(counts.command > 100)
        #expect(counts.invalid > 100)
        #expect(counts.frame > 100)
    }

    @Test func mutatedServerMessagesNeverTrap() {
        var seeds = ServerMessageGoldenTests.replies.map { Array($0.text.utf8) }
        seeds += ServerMessageGoldenTests.pushes.map { Array($0.text.utf8) }
        var random = SplitMix64(state: 0x7E7E_0002)
        var decoded = 0
        for iteration in 0..<10_000 {
            let input = Self.mutate(seeds[iteration % seeds.count], using: &random)
            do {
                let message = try ServerMessage.decode(input)
                decoded += 1
                // A decoded message re-encodes to text that decodes to the same message.
                #expect(try ServerMessage.decode(message.encoded(), limits: JSONLimits(maxBytes: 1 << 20)) == message)
            } catch {
                #expect(error.closeCode == .badRequest)
            }
        }
        #expect(decoded > 100)
    }

    @Test func canonicalRawJSONIsStable() throws {
        // Capturing canonical text, parsing it and writing it again gives the same text.
        var random = SplitMix64(state: 0x7E7E_0003)
        let seeds = CommandGoldenTests.goldens.map { Array($0.text.utf8) }
        var valid = 0
        for iteration in 0..<5_000 {
            let input = Self.mutate(seeds[iteration % seeds.count], using: &random)
            guard let raw = try? RawJSON(validating: input) else { continue }
            valid += 1
            #expect(RawJSON(try raw.parsed()) == raw)
            #expect(try RawJSON(validating: raw.text) == raw)
        }
        #expect(valid > 100)
    }
}
