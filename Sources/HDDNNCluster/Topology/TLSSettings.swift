import Foundation
import HDDNNTrust

/// Mutual TLS for every hop of a topology: the project CA that is every process's only trust
/// root, the folder holding each process's certificate and key (`NAME.pem`, `NAME-key.pem`, as
/// `hddnn pki issue` writes them), and the SPIFFE trust domain the identities belong to.
///
/// ```yaml
/// tls: { ca: .hddnn/pki/ca.pem, certificates: .hddnn/pki, trust_domain: hddnn.local }
/// tls: { ca: pki/ca.pem, certificates: pki, tokens: pki/tokens.pem }   # token key elsewhere
/// tls: off      # plain HTTP; every node warns at start
/// ```
///
/// A topology without a `tls` key gets TLS with its PKI in `.hddnn/pki` beside the file.
public struct TLSSettings: Sendable, Equatable {
    /// The CA certificate (PEM).
    public var ca: String
    /// Folder of the node certificates and keys.
    public var certificates: String
    public var trustDomain: String
    /// The data domain written into this topology's identities.
    public var domain: String
    /// The public half of the project's token-signing key (PEM), with which nodes verify bearer
    /// tokens; `tokens.pem` beside the CA by default. Without the file a node takes no tokens,
    /// only node certificates.
    public var tokens: String

    /// Where a topology without a `tls` key keeps its PKI, relative to the topology file.
    public static let defaultFolder = ".hddnn/pki"

    public init(ca: String, certificates: String, trustDomain: String = "hddnn.local", domain: String = "default", tokens: String? = nil) {
        self.ca = ca
        self.certificates = certificates
        self.trustDomain = trustDomain
        self.domain = domain
        self.tokens = tokens ?? (((ca as NSString).deletingLastPathComponent) as NSString).appendingPathComponent(TokenSigner.publicKeyFileName)
    }

    public func certificate(of process: String) -> String { (certificates as NSString).appendingPathComponent("\(process).pem") }
    public func key(of process: String) -> String { (certificates as NSString).appendingPathComponent("\(process)-key.pem") }
}
