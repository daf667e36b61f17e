import Foundation

/// Parses configuration durations: a non-negative number with a unit (`250ms`, `10s`, `2m`, `1h`, `1d`,
/// `1.5s`) or a bare number of seconds (`10`, `0.5`).
///
/// Arithmetic is exact (integer nanoseconds), so `0.1s` is exactly 100 ms. At most three fraction digits
/// are accepted, and results above ten years are refused as a likely typo.
enum DurationParser {
    /// The accepted units and their length in nanoseconds, longest suffix first so `ms` wins over `s`.
    private static let units: [(suffix: String, nanoseconds: Int64)] = [
        ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000),
        ("d", 86_400_000_000_000),
    ]

    private static let maximumNanoseconds: Int64 = 10 * 366 * 86_400_000_000_000

    /// What every error message says is accepted.
    static let expectedForms = "a number with a unit (250ms, 10s, 2m, 1h, 1d) or a number of seconds"

    /// The duration, or a message saying what is wrong with `text` (without the key path).
    static func parse(_ text: String) -> Result<Duration, DurationParseError> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var number = Substring(trimmed)
        var unitNanoseconds: Int64 = 1_000_000_000
        if let unit = units.first(where: { trimmed.hasSuffix($0.suffix) }) {
            number = number.dropLast(unit.suffix.count)
            unitNanoseconds = unit.nanoseconds
        }
        number = Substring(number.trimmingCharacters(in: .whitespaces))  // allow "10 s"
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard
            !number.isEmpty, number.first != ".",
            parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { (48...57).contains($0) } })
        else {
            if number.hasPrefix("-") { return .failure(DurationParseError(message: "must not be negative (got \"\(text)\")")) }
            return .failure(DurationParseError(message: "invalid duration \"\(text)\"; expected \(expectedForms)"))
        }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= 3 else {
            return .failure(DurationParseError(message: "invalid duration \"\(text)\"; at most three fraction digits are allowed"))
        }
        guard parts[0].count <= 18, let whole = Int64(parts[0]) else { return .failure(tooLarge(text)) }
        let (wholeNanoseconds, overflow) = whole.multipliedReportingOverflow(by: unitNanoseconds)
        guard !overflow else { return .failure(tooLarge(text)) }
        // unitNanoseconds is a multiple of 10^6 and fraction has at most 3 digits, so this is exact.
        let fractionValue = Int64(fraction.padding(toLength: 3, withPad: "0", startingAt: 0)) ?? 0
        let total = wholeNanoseconds + unitNanoseconds / 1_000 * fractionValue
        guard total <= maximumNanoseconds else { return .failure(tooLarge(text)) }
        return .success(.nanoseconds(total))
    }

    private static func tooLarge(_ text: String) -> DurationParseError {
        DurationParseError(message: "duration \"\(text)\" is too large (at most ten years)")
    }
}

/// Why a duration did not parse; `message` names the value but not the key.
struct DurationParseError: Error, Equatable {
    var message: String
}
