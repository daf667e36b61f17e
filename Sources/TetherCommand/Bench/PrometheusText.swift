/// Samples of a Prometheus text exposition (format 0.0.4), read just enough for `tether bench failover`'s
/// gateway metrics: `name{label="value",…} number` lines; comments, blank lines and timestamps ignored,
/// lines that do not parse skipped.
struct PrometheusText: Sendable, Equatable {
    struct Sample: Sendable, Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    private(set) var samples: [Sample] = []

    init(_ text: String) {
        for line in text.split(whereSeparator: \.isNewline) {
            if let sample = Self.sample(String(line)) { self.samples.append(sample) }
        }
    }

    /// Whether any sample of `name` exists.
    func has(_ name: String) -> Bool {
        self.samples.contains { $0.name == name }
    }

    /// The sum of every sample of `name` (all label sets); nil when there is none.
    func total(_ name: String) -> Double? {
        let values = self.samples.filter { $0.name == name }.map(\.value)
        return values.isEmpty ? nil : values.reduce(0, +)
    }

    /// The samples of `name` summed by the value of `label` (samples without it under "").
    func total(_ name: String, by label: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for sample in self.samples where sample.name == name { result[sample.labels[label] ?? "", default: 0] += sample.value }
        return result
    }

    /// The cumulative buckets of histogram `name` (`name_bucket{le=…}`), summed over the other labels,
    /// ascending by bound (`+Inf` last); empty when there are none.
    func buckets(_ name: String) -> [(upperBound: Double, count: Double)] {
        var byBound: [Double: Double] = [:]
        for sample in self.samples where sample.name == name + "_bucket" {
            guard let le = sample.labels["le"], let bound = Self.number(le) else { continue }
            byBound[bound, default: 0] += sample.value
        }
        return byBound.sorted { $0.key < $1.key }.map { (upperBound: $0.key, count: $0.value) }
    }

    /// Estimates quantile `q` (0...1) of histogram `name` from its buckets, as Prometheus's
    /// `histogram_quantile` does: finds the bucket holding rank q × count and interpolates linearly within
    /// it (from 0 for the first bucket when its bound is positive). A rank in the `+Inf` bucket gives the
    /// highest finite bound. Returns the estimate and the bounds of the bucket it fell in; nil without
    /// observations.
    func quantile(_ q: Double, of name: String) -> (value: Double, lower: Double, upper: Double)? {
        let buckets = self.buckets(name)
        guard let total = buckets.last?.count, total > 0, buckets.last?.upperBound == .infinity else { return nil }
        let rank = q * total
        var lowerBound = 0.0
        var lowerCount = 0.0
        for (index, bucket) in buckets.enumerated() {
            if bucket.count >= rank, bucket.count > lowerCount {
                if bucket.upperBound == .infinity {
                    let highest = index > 0 ? buckets[index - 1].upperBound : 0
                    return (highest, highest, .infinity)
                }
                if index == 0 && bucket.upperBound <= 0 { return (bucket.upperBound, bucket.upperBound, bucket.upperBound) }
                let fraction = (rank - lowerCount) / (bucket.count - lowerCount)
                return (lowerBound + (bucket.upperBound - lowerBound) * fraction, lowerBound, bucket.upperBound)
            }
            lowerBound = bucket.upperBound
            lowerCount = bucket.count
        }
        return nil
    }

    /// One sample line, nil for comments and anything that does not parse.
    static func sample(_ line: String) -> Sample? {
        let text = line.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
        guard let first = text.first, first != "#" else { return nil }
        var labels: [String: String] = [:]
        let name: Substring
        var rest: Substring
        if let brace = text.firstIndex(of: "{") {
            name = text[..<brace]
            guard let (parsed, after) = Self.labels(text[text.index(after: brace)...]) else { return nil }
            labels = parsed
            rest = after
        } else {
            guard let space = text.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return nil }
            name = text[..<space]
            rest = text[space...]
        }
        rest = rest.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
        let valueText = rest.prefix { $0 != " " && $0 != "\t" }
        guard !name.isEmpty, let value = Self.number(String(valueText)) else { return nil }
        return Sample(name: String(name), labels: labels, value: value)
    }

    /// `key="value",…}` (escapes `\\`, `\"`, `\n`), returning the labels and the text after the `}`.
    private static func labels(_ text: Substring) -> ([String: String], Substring)? {
        var labels: [String: String] = [:]
        var rest = text
        while true {
            rest = rest.trimmingPrefix(while: { $0 == " " || $0 == "," })
            if rest.first == "}" { return (labels, rest.dropFirst()) }
            guard let equals = rest.firstIndex(of: "=") else { return nil }
            let key = String(rest[..<equals].filter { $0 != " " })
            rest = rest[rest.index(after: equals)...]
            guard rest.first == "\"" else { return nil }
            rest = rest.dropFirst()
            var value = ""
            var escaped = false
            while let character = rest.first {
                rest = rest.dropFirst()
                if escaped {
                    value.append(character == "n" ? "\n" : character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    break
                } else {
                    value.append(character)
                }
            }
            labels[key] = value
        }
    }

    /// A sample value or `le` bound: a decimal number, `+Inf`, `-Inf` or `NaN`.
    static func number(_ text: String) -> Double? {
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(text)
        }
    }
}
