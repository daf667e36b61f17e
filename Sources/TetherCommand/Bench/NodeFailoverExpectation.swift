import ArgumentParser

/// A `--expect` of `tether bench failover`: a condition on the report that makes the command exit non-zero
/// (after printing the report) when it does not hold.
enum NodeFailoverExpectation: String, ExpressibleByArgument, CaseIterable, Sendable, Encodable {
    /// No client saw its connection close after the initial connect.
    case noCloses = "no-closes"
    /// Nothing lost, duplicated, out of order or reported as a gap, and every client caught up.
    case exactlyOnce = "exactly-once"
    /// Every client that lost its connection reconnected with the session it had before, after each loss.
    case allResumed = "all-resumed"

    /// Why `report` does not meet the expectation; nil when it does.
    func failure(of report: NodeFailoverReport) -> String? {
        switch self {
        case .noCloses:
            return report.closes == 0 ? nil : "\(report.closes) connection losses on \(report.clientsWithClose) clients"
        case .exactlyOnce:
            var problems: [String] = []
            if report.lost > 0 { problems.append("lost \(report.lost)") }
            if report.duplicated > 0 { problems.append("duplicated \(report.duplicated)") }
            if report.outOfOrder > 0 { problems.append("out of order \(report.outOfOrder)") }
            if report.gaps > 0 { problems.append("gaps \(report.gaps)") }
            if report.caughtUp < report.opened { problems.append("\(report.opened - report.caughtUp) clients not caught up") }
            return problems.isEmpty ? nil : problems.joined(separator: ", ")
        case .allResumed:
            let missing = report.moved - report.sessionsResumed
            return missing == 0 ? nil : "\(missing) of \(report.moved) clients that lost their connection did not resume their session"
        }
    }
}
