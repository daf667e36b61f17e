import Metrics
import Synchronization

/// An in-memory swift-metrics backend for tests: every counter, meter, recorder and timer writes into one
/// table keyed by label and dimensions, so a test can read back what the gateway reported.
///
/// Handles created twice with the same label and dimensions (in any dimension order) share one value, as they
/// would in a real backend (`GatewayMetrics` creates refusal counters per event). Thread-safe.
final class RecordingMetricsFactory: MetricsFactory {
    /// A metric's identity: its label and its dimensions sorted by name.
    struct Key: Hashable, Sendable, CustomStringConvertible {
        var label: String
        var dimensions: [String]

        init(_ label: String, _ dimensions: [(String, String)]) {
            self.label = label
            self.dimensions = dimensions.map { "\($0.0)=\($0.1)" }.sorted()
        }

        var description: String { "\(label){\(dimensions.joined(separator: ","))}" }
    }

    private struct Values {
        var counters: [Key: Int64] = [:]
        var meters: [Key: Double] = [:]
        var recorders: [Key: [Double]] = [:]
        var timers: [Key: [Int64]] = [:]
    }

    private let values = Mutex(Values())

    init() {}

    // MARK: Reading

    /// A counter's total; 0 when it was never created or incremented.
    func counter(_ label: String, _ dimensions: [(String, String)] = []) -> Int64 {
        values.withLock { $0.counters[Key(label, dimensions)] ?? 0 }
    }

    /// A meter's (or gauge-like meter's) current value; nil when it was never created.
    func meter(_ label: String, _ dimensions: [(String, String)] = []) -> Double? {
        values.withLock { $0.meters[Key(label, dimensions)] }
    }

    /// Every value a recorder (gauge or histogram) received, in order.
    func recorded(_ label: String, _ dimensions: [(String, String)] = []) -> [Double] {
        values.withLock { $0.recorders[Key(label, dimensions)] ?? [] }
    }

    /// Every duration a timer received, in nanoseconds, in order.
    func timings(_ label: String, _ dimensions: [(String, String)] = []) -> [Int64] {
        values.withLock { $0.timers[Key(label, dimensions)] ?? [] }
    }

    /// Every counter with `label`, by key (for diagnostics in failure messages).
    func counters(labelled label: String) -> [Key: Int64] {
        values.withLock { $0.counters.filter { $0.key.label == label } }
    }

    // MARK: Writing (called by the handles)

    fileprivate func add(_ amount: Int64, to key: Key) {
        values.withLock { $0.counters[key, default: 0] += amount }
    }

    fileprivate func resetCounter(_ key: Key) {
        values.withLock { $0.counters[key] = 0 }
    }

    fileprivate func updateMeter(_ key: Key, _ update: (inout Double) -> Void) {
        values.withLock { update(&$0.meters[key, default: 0]) }
    }

    fileprivate func record(_ value: Double, to key: Key) {
        values.withLock { $0.recorders[key, default: []].append(value) }
    }

    fileprivate func time(_ nanoseconds: Int64, to key: Key) {
        values.withLock { $0.timers[key, default: []].append(nanoseconds) }
    }

    // MARK: MetricsFactory

    func makeCounter(label: String, dimensions: [(String, String)]) -> CounterHandler {
        let key = Key(label, dimensions)
        values.withLock { _ = $0.counters[key, default: 0] }
        return RecordingCounter(key: key, sink: self)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> MeterHandler {
        let key = Key(label, dimensions)
        updateMeter(key) { _ in }
        return RecordingMeter(key: key, sink: self)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> RecorderHandler {
        RecordingRecorder(key: Key(label, dimensions), sink: self)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> TimerHandler {
        RecordingTimer(key: Key(label, dimensions), sink: self)
    }

    func destroyCounter(_ handler: CounterHandler) {}
    func destroyMeter(_ handler: MeterHandler) {}
    func destroyRecorder(_ handler: RecorderHandler) {}
    func destroyTimer(_ handler: TimerHandler) {}
}

private final class RecordingCounter: CounterHandler {
    let key: RecordingMetricsFactory.Key
    let sink: RecordingMetricsFactory

    init(key: RecordingMetricsFactory.Key, sink: RecordingMetricsFactory) {
        self.key = key
        self.sink = sink
    }

    func increment(by amount: Int64) { sink.add(amount, to: key) }
    func reset() { sink.resetCounter(key) }
}

private final class RecordingMeter: MeterHandler {
    let key: RecordingMetricsFactory.Key
    let sink: RecordingMetricsFactory

    init(key: RecordingMetricsFactory.Key, sink: RecordingMetricsFactory) {
        self.key = key
        self.sink = sink
    }

    func set(_ value: Int64) { sink.updateMeter(key) { $0 = Double(value) } }
    func set(_ value: Double) { sink.updateMeter(key) { $0 = value } }
    func increment(by amount: Double) { sink.updateMeter(key) { $0 += amount } }
    func decrement(by amount: Double) { sink.updateMeter(key) { $0 -= amount } }
}

private final class RecordingRecorder: RecorderHandler {
    let key: RecordingMetricsFactory.Key
    let sink: RecordingMetricsFactory

    init(key: RecordingMetricsFactory.Key, sink: RecordingMetricsFactory) {
        self.key = key
        self.sink = sink
    }

    func record(_ value: Int64) { sink.record(Double(value), to: key) }
    func record(_ value: Double) { sink.record(value, to: key) }
}

private final class RecordingTimer: TimerHandler {
    let key: RecordingMetricsFactory.Key
    let sink: RecordingMetricsFactory

    init(key: RecordingMetricsFactory.Key, sink: RecordingMetricsFactory) {
        self.key = key
        self.sink = sink
    }

    func recordNanoseconds(_ duration: Int64) { sink.time(duration, to: key) }
}
