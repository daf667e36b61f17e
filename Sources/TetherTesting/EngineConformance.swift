/// The engine conformance suite: every line of the contracts in `Sources/TetherCore/Engine` (Broker,
/// BrokerEventSink, PresenceManager, SessionStore, NodeRegistry) as named cases any engine must pass.
///
/// Run each case with an ``EngineConformanceContext`` for the engine under test, for example as one
/// parameterised test: `@Test(arguments: EngineConformance.cases) func conforms(_ c: EngineConformanceCase)`.
/// Cases are independent (each makes its own engine and uses names unique to its context) and may run
/// concurrently when each has its own context.
public enum EngineConformance {
    public static let cases: [EngineConformanceCase] = streamCases + deliveryCases + presenceCases + storageCases
}
