import Foundation

/// Mutual TLS for every hop of a topology: the project CA that is every process's only trust
/// root, the folder holding each process's certificate and key (`NAME.pem`, `NAME-key.pem`, as
/// `hddnn pki issue` writes them), and the SPIFFE trust domain the identities belong to.
///
/// ```yaml
/// tls: { ca: .hddnn/pki/ca.pem, certificates: .hddnn/pki, trust_domain: hddnn.local }
/// tls: off      # plain HTTP; every node warns at start
/// ```
public struct TLSSettings: Sendable, Equatable {
    /// The CA certificate (PEM).
    public var ca: String
    /// Folder of the node certificates and keys.
    public var certificates: String
    public var trustDomain: String
    /// The data domain written into this topology's identities.
    public var domain: String

    public init(ca: String, certificates: String, trustDomain: String = "hddnn.local", domain: String = "default") {
        self.ca = ca
        self.certificates = certificates
        self.trustDomain = trustDomain
        self.domain = domain
    }

    public func certificate(of process: String) -> String { (certificates as NSString).appendingPathComponent("\(process).pem") }
    public func key(of process: String) -> String { (certificates as NSString).appendingPathComponent("\(process)-key.pem") }
}
