import TetherCore

/// What a conformance case needs from the engine under test: fresh engines, a way to let time pass,
/// and the engine's scale of TTLs.
///
/// Time: cases never read a clock. They call ``waitPast(_:)`` to let at least a duration pass *as
/// the engine measures it*: a memory engine on a ``ManualEngineClock`` advances the clock; an engine
/// on real time (Redis) sleeps, so give it a `ttl` short enough to keep the suite quick and long
/// enough that a few calls in a row take well under `ttl × 0.4` (cases check "still there" after
/// waiting 0.6 × `ttl` since the last renewal).
///
/// Names: cases pass every channel, session, client and node name through ``name(_:)``, which adds a
/// prefix unique to this context, so cases may share one engine's backing store (one Redis).
public struct EngineConformanceContext: Sendable {
    /// The short TTL cases use for history, metadata, idempotency windows, leases, sessions and nodes.
    public let ttl: Duration
    /// The engine's maximum number of channels with state, if it has one (nil skips the cap case).
    /// Engines from `makeEngine` must use exactly this cap.
    public let channelCap: Int?
    /// How long to wait, after a witness node received an event, before concluding that another node
    /// did not get it. Zero for engines that deliver synchronously (memory).
    public let quietPeriod: Duration
    /// A prefix unique to this context.
    public let prefix: String

    private let engineFactory: @Sendable () async throws -> any Engine
    private let engineDisposal: @Sendable (any Engine) async -> Void
    private let timePasser: @Sendable (Duration) async throws -> Void

    /// - Parameters:
    ///   - makeEngine: a fresh engine (or one sharing a store with earlier ones; see ``name(_:)``).
    ///   - disposeEngine: called once a case is done with an engine (close connections and such).
    ///   - waitPast: returns once strictly more than the given duration has passed on the engine's clock.
    public init(
        ttl: Duration,
        channelCap: Int? = nil,
        quietPeriod: Duration = .zero,
        prefix: String = "c\(UInt32.random(in: 0...UInt32.max))-",
        makeEngine: @escaping @Sendable () async throws -> any Engine,
        disposeEngine: @escaping @Sendable (any Engine) async -> Void = { _ in },
        waitPast: @escaping @Sendable (Duration) async throws -> Void
    ) {
        self.ttl = ttl
        self.channelCap = channelCap
        self.quietPeriod = quietPeriod
        self.prefix = prefix
        self.engineFactory = makeEngine
        self.engineDisposal = disposeEngine
        self.timePasser = waitPast
    }

    /// A context whose engines run on `clock`: ``waitPast(_:)`` advances it by the duration plus 1 ms.
    public static func manual(
        clock: ManualEngineClock,
        ttl: Duration = .seconds(10),
        channelCap: Int? = nil,
        makeEngine: @escaping @Sendable () async throws -> any Engine
    ) -> EngineConformanceContext {
        EngineConformanceContext(
            ttl: ttl,
            channelCap: channelCap,
            makeEngine: makeEngine,
            waitPast: { clock.advance(by: $0 + .milliseconds(1)) }
        )
    }

    public func makeEngine() async throws -> any Engine {
        try await self.engineFactory()
    }

    public func disposeEngine(_ engine: any Engine) async {
        await self.engineDisposal(engine)
    }

    /// Returns once strictly more than `duration` has passed on the engine's clock.
    public func waitPast(_ duration: Duration) async throws {
        try await self.timePasser(duration)
    }

    /// `base` made unique to this context.
    public func name(_ base: String) -> String {
        self.prefix + base
    }

    /// Waits ``quietPeriod`` (if any) before a check that something did not arrive.
    func quiet() async throws {
        if self.quietPeriod > .zero {
            try await Task.sleep(for: self.quietPeriod)
        }
    }

    /// `ttl × numerator / denominator`.
    func ttl(_ numerator: Int, _ denominator: Int) -> Duration {
        self.ttl * numerator / denominator
    }
}
