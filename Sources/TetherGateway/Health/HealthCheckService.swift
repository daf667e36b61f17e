import Logging
import NIOCore
import TetherGatewayCore

/// Runs the active health checks of one cluster: every `interval`, one probe per endpoint (concurrently),
/// results fed to the cluster's rise/fall state machines. Transitions are logged; the `endpoint_healthy` gauge
/// is refreshed when metrics are exported. Runs until its task is cancelled (on reload or shutdown).
struct HealthCheckService: Sendable {
    let cluster: ClusterRuntime
    let runtime: GatewayRuntime

    func run() async {
        let logger = runtime.logger
        while !Task.isCancelled {
            let configuration = cluster.configuration
            guard let check = configuration.healthCheck else { return }
            let connector = runtime.connector(for: cluster.name)
            await withTaskGroup(of: Void.self) { group in
                for endpoint in configuration.endpoints {
                    group.addTask {
                        let id = endpoint.address.description
                        let loop = runtime.group.next()
                        let status = try? await HealthProbe.check(
                            address: endpoint.address,
                            path: check.path,
                            timeout: TimeAmount(check.timeout),
                            tls: connector?.tls,
                            serverName: connector?.serverName,
                            on: loop
                        ).get()
                        let success = status.map { check.expectedStatus.contains($0) } ?? false
                        if let transition = cluster.recordHealthCheck(id, success: success) {
                            let healthy = transition == .becameHealthy
                            logger.notice(
                                healthy ? "endpoint healthy" : "endpoint unhealthy",
                                metadata: ["cluster": "\(cluster.name)", "endpoint": "\(id)", "status": "\(status.map(String.init) ?? "no answer")"]
                            )
                        }
                    }
                }
            }
            try? await Task.sleep(for: check.interval)
        }
    }
}
