/// A change of an endpoint's health, reported once when it happens.
public enum HealthTransition: Sendable, Equatable {
    case becameHealthy
    case becameUnhealthy
}
