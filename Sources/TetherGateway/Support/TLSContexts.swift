import NIOSSL
import TetherGatewayCore

/// Builds NIOSSL contexts from configuration, reading the PEM files each time (so a reload re-reads them).
enum TLSContexts {
    static func server(_ configuration: ServerTLSConfiguration) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(configuration.certificateFile).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: configuration.privateKeyFile, format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        if let clientCA = configuration.clientCAFile {
            tls.certificateVerification = .noHostnameVerification
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientCA))
        }
        return try NIOSSLContext(configuration: tls)
    }

    static func client(_ configuration: UpstreamTLSConfiguration) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = configuration.caFile {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
        }
        if let certificate = configuration.certificateFile, let key = configuration.privateKeyFile {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        return try NIOSSLContext(configuration: tls)
    }
}
