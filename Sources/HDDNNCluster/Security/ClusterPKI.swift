import Foundation
import HDDNNTrust
import X509

/// The certificates a topology's processes need, issued by the project CA: one per node and one
/// for the coordinator. `hddnn pki issue` issues them on request; `ensure` issues what is missing
/// or about to expire, and the token-signing key, so `make demo` and `hddnn run --start` work on
/// a fresh machine with TLS on.
public enum ClusterPKI {
    /// Who needs a certificate: every node, and the coordinator (`hddnn run`).
    public static func processes(_ topology: Topology) -> [String] {
        topology.nodes.filter { $0.foreign == nil }.map(\.name) + ["coordinator"]
    }

    /// The identity `process` gets under `tls`.
    public static func identity(of process: String, in topology: Topology, tls: TLSSettings, also extra: [NodeSpec] = []) throws -> NodeIdentity {
        if let spec = (try? topology.node(process)) ?? extra.first(where: { $0.name == process }),
           let id = TLSIdentity.identity(of: spec, tls: tls) { return id }
        return try NodeIdentity(trustDomain: tls.trustDomain, role: .coordinator, trust: .dependable, domain: tls.domain, name: process)
    }

    /// Issues and writes `process`'s certificate and key.
    @discardableResult
    public static func issue(_ process: String, in topology: Topology, tls: TLSSettings, ca: CertificateAuthority,
                             validity: TimeInterval = CertificateAuthority.defaultNodeValidity, also extra: [NodeSpec] = []) throws -> NodeIdentity {
        let identity = try identity(of: process, in: topology, tls: tls, also: extra)
        let issued = try ca.issue(identity, validity: validity)
        try PEMFiles.write(certificate: issued.certificate, to: URL(fileURLWithPath: tls.certificate(of: process)))
        try PEMFiles.write(key: issued.key, to: URL(fileURLWithPath: tls.key(of: process)))
        return identity
    }

    /// Creates the CA when `tls.ca` does not exist (its key beside it, owner-only) and issues every
    /// certificate that is missing or without its key, expires within a day, was not signed by
    /// this CA's key (a CA replaced with `--force` keeps its name), or names another identity
    /// than the topology gives the process. Returns what it did, in words.
    /// `extra`: processes addressed like nodes that are not in the topology (the holistic catalogue).
    public static func ensure(_ topology: Topology, also extra: [NodeSpec] = []) throws -> [String] {
        guard let tls = topology.tls else { return [] }
        let folder = URL(fileURLWithPath: tls.certificates)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var done: [String] = []
        let ca: CertificateAuthority
        if FileManager.default.fileExists(atPath: tls.ca) {
            ca = try CertificateAuthority.load(certificate: tls.ca)
            guard ca.trustDomain == tls.trustDomain else {
                throw IdentityError.foreignTrustDomain(found: ca.trustDomain, expected: tls.trustDomain)
            }
        } else {
            ca = try CertificateAuthority.create(trustDomain: tls.trustDomain)
            try ca.write(to: URL(fileURLWithPath: tls.ca).deletingLastPathComponent())
            done.append("created the project CA \(tls.ca) (spiffe://\(tls.trustDomain))")
        }
        // The token key lives beside the CA key; its public half goes where the topology says.
        let caFolder = URL(fileURLWithPath: tls.ca).deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: caFolder.appendingPathComponent(TokenSigner.keyFileName).path) {
            let signer = TokenSigner(trustDomain: tls.trustDomain)
            try signer.write(to: caFolder)
            done.append("created the token-signing key \(signer.keyID) beside the CA")
        }
        for process in processes(topology) + extra.map(\.name) {
            let expected = try identity(of: process, in: topology, tls: tls, also: extra)
            if let current = try? PEMFiles.certificate(at: tls.certificate(of: process)),
               let key = try? PEMFiles.privateKey(at: tls.key(of: process)), key.publicKey == current.publicKey,
               ca.certificate.publicKey.isValidSignature(current.signature, for: current),
               current.notValidAfter > Date().addingTimeInterval(86_400), current.uriNames == [expected.uri] {
                continue
            }
            try issue(process, in: topology, tls: tls, ca: ca, also: extra)
            done.append("issued \(tls.certificate(of: process)) for \(expected.uri)")
        }
        return done
    }
}
