import Foundation

/// The fields of `tether bench fanout`'s ``BenchReport``.
struct NodeFanoutReport: BenchReportDetails {
    static let mode = "fanout"

    var subscribers: Int
    var channels: Int
    /// Offered publications per second, over all channels.
    var rate: Int
    var payload: Int
    var publishVia: String
    var publishers: Int
    var warmupSeconds: Double
    var durationSeconds: Double
    /// Seconds to open every subscriber (connect and subscribe).
    var connectSeconds: Double
    /// Per subscriber: TCP connect to the connect reply, microseconds.
    var connectMicroseconds: NodeLatencySummary
    /// Counted during the measurement.
    var published: Int
    var publishedPerSecond: Double
    var deliveries: Int
    var deliveriesPerSecond: Double
    /// Over the whole run (warm-up, measurement, drain).
    var publishAcked: Int
    var publishFailed: Int
    var skipped: Int
    /// Publications never received by a subscriber still connected at the end (holes plus the tail after
    /// the drain), over the whole run.
    var lost: Int64
    var duplicates: Int
    var outOfOrder: Int
    var untimed: Int
    var errors: Int
    var disconnected: Int
    var disconnectPushes: Int
    var closeCodes: [String: Int]
    /// Subscribers whose final bookkeeping was read (connected at the end).
    var finished: Int
    var drainSeconds: Double
    /// Publish-to-receipt latency of every delivery in the measurement and drain, microseconds.
    var latencyMicroseconds: NodeLatencySummary
    /// With --pid: the node's CPU seconds during the measurement, its utilisation (1.0 = one core), and
    /// deliveries per node CPU second.
    var nodeCPUSeconds: Double?
    var nodeCPUUtilisation: Double?
    var deliveriesPerCPUSecond: Double?
    /// The load generator's own CPU utilisation during the measurement (1.0 = one core).
    var generatorCPUUtilisation: Double?
    /// With --redis: commands Redis served during the measurement that are not script-internal, ÷ publications.
    var redisRoundTripsPerPublication: Double?
    /// With --redis: every command Redis counted during the measurement (script-internal ones included).
    var redisCommands: [String: Int]?

    private enum CodingKeys: String, CodingKey {
        case subscribers, channels, rate, payload, publishers, published, deliveries, skipped, lost, duplicates
        case untimed, errors, disconnected, finished
        case publishVia = "publish_via"
        case warmupSeconds = "warmup_seconds"
        case durationSeconds = "duration_seconds"
        case connectSeconds = "connect_seconds"
        case connectMicroseconds = "connect_us"
        case publishedPerSecond = "published_per_second"
        case deliveriesPerSecond = "deliveries_per_second"
        case publishAcked = "publish_acked"
        case publishFailed = "publish_failed"
        case outOfOrder = "out_of_order"
        case disconnectPushes = "disconnect_pushes"
        case closeCodes = "close_codes"
        case drainSeconds = "drain_seconds"
        case latencyMicroseconds = "latency_us"
        case nodeCPUSeconds = "node_cpu_seconds"
        case nodeCPUUtilisation = "node_cpu_utilisation"
        case deliveriesPerCPUSecond = "deliveries_per_cpu_second"
        case generatorCPUUtilisation = "generator_cpu_utilisation"
        case redisRoundTripsPerPublication = "redis_round_trips_per_publication"
        case redisCommands = "redis_commands"
    }

    func tableLines(opened: Int, failed: Int) -> [String] {
        func f(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
        var lines = [
            "  subscribers   \(self.subscribers) on \(self.channels) channel(s) (\(opened) connections opened, \(failed) failed)"
                + " in \(f(self.connectSeconds)) s; connect µs \(self.connectMicroseconds.line)",
            "  load          \(BenchConsole.grouped(self.rate)) publications/s offered via \(self.publishVia)"
                + " (\(self.publishers) publisher(s)), \(self.payload)-byte data",
            "  duration      \(f(self.durationSeconds)) s after \(f(self.warmupSeconds)) s warm-up; drain \(f(self.drainSeconds)) s",
            "  publications  \(BenchConsole.grouped(Int(self.publishedPerSecond.rounded())))/s"
                + " (acked \(self.publishAcked), failed \(self.publishFailed), skipped \(self.skipped))",
            "  deliveries    \(BenchConsole.grouped(Int(self.deliveriesPerSecond.rounded())))/s"
                + " (\(BenchConsole.grouped(self.deliveries)) in the measurement)",
            "  latency (µs)  \(self.latencyMicroseconds.line)  mean \(f(self.latencyMicroseconds.mean, 1))",
            "  delivery      lost \(self.lost)  duplicated \(self.duplicates)  out of order \(self.outOfOrder)"
                + "  untimed \(self.untimed)  (\(self.finished) subscribers checked)",
            "  problems      errors \(self.errors)  disconnected \(self.disconnected)  disconnect pushes \(self.disconnectPushes)"
                + (self.closeCodes.isEmpty ? "" : "  close codes \(self.closeCodes.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " "))"),
        ]
        if let cpu = self.nodeCPUSeconds, let utilisation = self.nodeCPUUtilisation {
            lines.append(
                "  node CPU      \(f(cpu)) s (\(f(utilisation * 100, 0))% of a core);"
                    + " \(BenchConsole.grouped(Int((self.deliveriesPerCPUSecond ?? 0).rounded()))) deliveries per CPU second"
            )
        }
        if let generator = self.generatorCPUUtilisation {
            lines.append("  generator CPU \(f(generator * 100, 0))% of a core")
        }
        if let roundTrips = self.redisRoundTripsPerPublication, let commands = self.redisCommands {
            let listed = commands.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            lines.append("  redis         \(f(roundTrips, 3)) round trips per publication (commands served: \(listed))")
        }
        return lines
    }
}
