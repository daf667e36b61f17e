import TetherCore
import TetherProtocol

// The checks conformance cases use. Each throws EngineConformanceFailure naming the call site.

func expect(
    _ condition: Bool,
    _ message: @autoclosure () -> String,
    file: StaticString = #filePath,
    line: UInt = #line
) throws {
    guard condition else { throw EngineConformanceFailure(message(), file: file, line: line) }
}

func expectEqual<Value: Equatable>(
    _ actual: Value,
    _ expected: Value,
    _ what: @autoclosure () -> String,
    file: StaticString = #filePath,
    line: UInt = #line
) throws {
    guard actual == expected else {
        throw EngineConformanceFailure("\(what()): expected \(expected), got \(actual)", file: file, line: line)
    }
}

/// Runs `body` and requires it to throw `EngineError.unavailable`.
func expectUnavailable<Result>(
    _ what: @autoclosure () -> String,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: () async throws -> Result
) async throws {
    do {
        let result = try await body()
        throw EngineConformanceFailure("\(what()): expected EngineError.unavailable, got \(result)", file: file, line: line)
    } catch EngineError.unavailable {
        return
    } catch let failure as EngineConformanceFailure {
        throw failure
    } catch {
        throw EngineConformanceFailure("\(what()): expected EngineError.unavailable, got \(error)", file: file, line: line)
    }
}

/// JSON data numbered `number`, so a publication's origin is visible in failures.
func conformanceData(_ number: Int) -> RawJSON {
    RawJSON(unchecked: "{\"n\":\(number)}")
}

extension EngineConformanceContext {
    /// Options with long windows unless a case shortens one.
    func options(
        historySize: Int = 100,
        historyTTL: Duration = .seconds(600),
        metaTTL: Duration = .seconds(3600),
        idempotencyWindow: Duration = .seconds(600)
    ) -> ChannelOptions {
        ChannelOptions(historySize: historySize, historyTTL: historyTTL, metaTTL: metaTTL, idempotencyWindow: idempotencyWindow)
    }

    /// Makes an engine with `count` attached nodes, runs `body`, then closes the nodes and disposes of
    /// the engine (also when `body` throws).
    func withEngine(
        nodes count: Int,
        _ body: (any Engine, [EngineConformanceNode]) async throws -> Void
    ) async throws {
        let engine = try await self.makeEngine()
        var nodes: [EngineConformanceNode] = []
        do {
            for index in 0..<count {
                let recorder = EngineConformanceRecorder()
                let name = self.name("node\(index)")
                let broker = try await engine.makeBroker(node: name, sink: recorder)
                nodes.append(EngineConformanceNode(name: name, broker: broker, recorder: recorder))
            }
            try await body(engine, nodes)
        } catch {
            for node in nodes { await node.close() }
            await self.disposeEngine(engine)
            throw error
        }
        for node in nodes { await node.close() }
        await self.disposeEngine(engine)
    }
}
