import Logging
import TetherGatewayCore

/// Rebalances one cluster's sessions (its `session.rebalance`): once a second, compares live sessions per
/// endpoint with the eligible endpoints' average (``SessionRebalancePlan``) and moves the excess at the
/// cluster's migration rate towards the endpoints below the average. It does not look while any session of
/// the cluster is moving (a count taken mid-move would overshoot and then move sessions back). Runs until
/// its task is cancelled (on reload or shutdown).
struct SessionRebalancer: Sendable {
    let cluster: ClusterRuntime
    let runtime: GatewayRuntime

    func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let configuration = cluster.configuration
            guard configuration.session.rebalance, !runtime.isShuttingDown else { continue }
            let census = await runtime.tunnels.sessionCensus(cluster: cluster.name)
            guard census.moving == 0 else { continue }
            let counts = census.bound
            let eligible = Set(cluster.status(now: runtime.now()).endpoints.filter(\.eligible).map(\.id))
            let moves = SessionRebalancePlan.moves(counts: counts, eligible: eligible, balanceFactor: configuration.balanceFactor)
            let receivers = SessionRebalancePlan.receivers(counts: counts, eligible: eligible)
            guard !moves.isEmpty, !receivers.isEmpty else { continue }
            let rate = configuration.session.migrationRate
            runtime.logger.notice(
                "rebalancing sessions",
                metadata: ["cluster": "\(cluster.name)", "moves": "\(moves.map { "\($0.endpoint):\($0.sessions)" })", "counts": "\(counts)"]
            )
            var after = Duration.zero
            for move in moves {
                let scheduled = await runtime.tunnels.migrateSessions(
                    cluster: cluster.name, endpoint: move.endpoint, limit: move.sessions, rate: rate, after: after, reason: .rebalance,
                    towards: receivers)
                after += .milliseconds(Int64((Double(scheduled) / rate * 1000).rounded()))
            }
            // Let the moves land (and their counts settle) before the next look.
            try? await Task.sleep(for: after + .seconds(1))
        }
    }
}
