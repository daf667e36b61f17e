import ArgumentParser

/// A duration option (`10s`, `500ms`, `2m`), parsed like configuration durations.
struct BenchDurationArgument: ExpressibleByArgument, Sendable {
    var duration: Duration

    init(_ duration: Duration) {
        self.duration = duration
    }

    init?(argument: String) {
        guard case .success(let duration) = DurationParser.parse(argument) else { return nil }
        self.duration = duration
    }

    var defaultValueDescription: String {
        let seconds = BenchConsole.seconds(self.duration)
        return seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(Int((seconds * 1000).rounded()))ms"
    }
}
