import ArgumentParser

/// `tether bench fanout --publish-via`: how the bench publishes.
enum NodePublishVia: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// `publish` commands on Tether connections (one per channel).
    case client
    /// `POST /api/publish` on keep-alive HTTP connections (one per channel, pipelined).
    case api
}
