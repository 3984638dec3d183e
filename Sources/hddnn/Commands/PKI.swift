import ArgumentParser
import Foundation
import HDDNNCluster
import HDDNNTrust
import X509

/// `hddnn pki`: the project's certificate authority and the node certificates it signs.
struct PKI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki",
        abstract: "Create the project's certificate authority and issue node certificates (ECDSA P-256).",
        discussion: """
            A node certificate names the node in one SPIFFE URI SAN, \
            spiffe://<trust-domain>/<role>/<trust>/<domain>/<name>, the same identity as a DNS \
            name (<name>.<role>.<trust>.<domain>.node.<trust-domain>, which senders address the \
            node by, so the handshake proves who answers) and localhost, plus other DNS \
            names it is reached at (never IP addresses: a name check passes on a matching IP), \
            with server and client authentication and a short \
            validity (7 days by default). Nodes need the CA's certificate (ca.pem) and their own \
            pair (NAME.pem, NAME-key.pem); the CA's key (ca-key.pem, mode 600) stays where it was \
            made and is needed only to issue. `init` also makes the token-signing key \
            (tokens-key.pem, mode 600; `hddnn token issue` signs with it) and its public half \
            (tokens.pem), with which nodes verify the bearer tokens of clients without a certificate.

              hddnn pki init                                # CA and token keys
              hddnn pki issue --config configs/local.yaml   # every node + coordinator
              hddnn pki issue --config configs/local.yaml --node edge-1 --days 1
              hddnn pki show .hddnn/pki/edge-1.pem          # identity, trusted or not
            """,
        subcommands: [Init.self, Issue.self, Show.self, Revoke.self])

    struct Folder: ParsableArguments {
        @Option(name: .customLong("dir"), help: "Folder of the CA and the certificates (default: .hddnn/pki, or what the topology's `tls` names).")
        var given: String?

        var dir: String { given ?? ".hddnn/pki" }
        var url: URL { URL(fileURLWithPath: dir) }
        var caCertificate: String { url.appendingPathComponent(CertificateAuthority.certificateFileName).path }
        var caKey: String { url.appendingPathComponent(CertificateAuthority.keyFileName).path }
    }

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the project's certificate authority.")

        @OptionGroup var folder: Folder

        @Option(help: "SPIFFE trust domain of the project (lowercase letters, digits, '.', '-', '_').")
        var trustDomain: String = "hddnn.local"

        @Option(help: "Days the CA certificate is valid.")
        var days: Int = 365

        @Flag(help: "Replace an existing CA (every certificate it signed stops being trusted).")
        var force = false

        func run() throws {
            guard days > 0 else { throw ValidationError("--days must be positive") }
            if !force && FileManager.default.fileExists(atPath: folder.caCertificate) { throw TrustError.exists(folder.caCertificate) }
            try FileManager.default.createDirectory(at: folder.url, withIntermediateDirectories: true)
            let ca = try CertificateAuthority.create(trustDomain: trustDomain, validity: TimeInterval(days) * 86_400)
            try ca.write(to: folder.url)
            let signer = TokenSigner(trustDomain: trustDomain)
            try signer.write(to: folder.url)
            print("CA for spiffe://\(trustDomain): \(folder.caCertificate) (key \(folder.caKey), owner-only), valid \(days) days")
            print("token key \(signer.keyID): \(folder.url.appendingPathComponent(TokenSigner.keyFileName).path) (owner-only), public half \(folder.url.appendingPathComponent(TokenSigner.publicKeyFileName).path)")
        }
    }

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue node certificates for a topology's nodes (and the coordinator) with the project's CA.")

        @OptionGroup var folder: Folder

        @Option(help: "Topology file (YAML) whose nodes get certificates.")
        var config: String

        @Option(parsing: .upToNextOption, help: "Only these nodes (default: every node, and the coordinator).")
        var node: [String] = []

        @Option(help: "Data domain written into the identities (the party that runs these nodes).")
        var domain: String = "default"

        @Option(help: "Days each certificate is valid.")
        var days: Int = 7

        func run() throws {
            guard days > 0 else { throw ValidationError("--days must be positive") }
            let topology = try Topology.load(config)
            // The topology's own `tls` section says where its CA and certificates live, unless
            // --dir names a folder; without either, .hddnn/pki.
            let settings = folder.given == nil ? topology.tls ?? TLSSettings(ca: folder.caCertificate, certificates: folder.url.path, domain: domain)
                : TLSSettings(ca: folder.caCertificate, certificates: folder.url.path, domain: domain)
            guard FileManager.default.fileExists(atPath: settings.ca) else {
                throw TrustError.unreadable(settings.ca, "no CA here; create one with `hddnn pki init --dir \(URL(fileURLWithPath: settings.ca).deletingLastPathComponent().path)`")
            }
            let ca = try CertificateAuthority.load(certificate: settings.ca)
            var tls = settings
            if let own = topology.tls, folder.given == nil, own.trustDomain != ca.trustDomain {
                throw IdentityError.foreignTrustDomain(found: ca.trustDomain, expected: own.trustDomain)
            }
            tls.trustDomain = ca.trustDomain
            var wanted = node.isEmpty ? ClusterPKI.processes(topology) : node
            for name in wanted where name != "coordinator" { _ = try topology.node(name) }
            wanted = wanted.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            try FileManager.default.createDirectory(atPath: tls.certificates, withIntermediateDirectories: true)
            for name in wanted {
                let identity = try ClusterPKI.issue(name, in: topology, tls: tls, ca: ca, validity: TimeInterval(days) * 86_400)
                print("\(name): \(identity.uri) -> \(tls.certificate(of: name)), valid \(days) days")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a certificate's identity, validity and usages, and whether the CA trusts it.")

        @OptionGroup var folder: Folder

        @Argument(help: "A PEM certificate.")
        var certificate: String

        func run() async throws {
            let cert = try PEMFiles.certificate(at: certificate)
            print("subject:  \(cert.subject)")
            print("issuer:   \(cert.issuer)")
            print("valid:    \(cert.notValidBefore) to \(cert.notValidAfter)")
            print("URI SANs: \(cert.uriNames.joined(separator: ", "))")
            let usages = ((try? cert.extensions.extendedKeyUsage).map { Array($0) } ?? []).map { "\($0)" }
            print("usages:   \(usages.isEmpty ? "none" : usages.joined(separator: ", "))")
            guard FileManager.default.fileExists(atPath: folder.caCertificate) else {
                print("trusted:  unknown (no CA at \(folder.caCertificate))")
                return
            }
            let root = try PEMFiles.certificate(at: folder.caCertificate)
            let domain = root.uriNames.first.map { String($0.dropFirst("spiffe://".count)) } ?? ""
            do {
                let identity = try await PeerVerifier(root: root, trustDomain: domain).verify(chain: [cert], side: .client)
                print("trusted:  yes, as \(identity.role.rawValue) '\(identity.name)' (\(identity.trust.rawValue), domain \(identity.domain))")
            } catch {
                print("trusted:  no: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a node certificate before it expires (a stolen key).",
            discussion: """
                Appends the certificate's serial number to revoked.txt beside the CA. Every node \
                re-reads that file within a second of a change and refuses the certificate at the \
                handshake when its holder calls. Copy the file to the nodes' machines, then issue \
                the node a new key and certificate with `hddnn pki issue --config T.yaml --node NAME`.
                """)

        @OptionGroup var folder: Folder

        @Argument(help: "The PEM certificate to revoke.")
        var certificate: String

        func run() throws {
            let cert = try PEMFiles.certificate(at: certificate)
            let serial = RevocationList.serial(cert.serialNumber.bytes)
            let list = folder.url.appendingPathComponent(RevocationList.fileName).path
            try RevocationList.append("certificate", serial, to: list, note: "\(cert.uriNames.first ?? "\(cert.subject)"), revoked \(ISO8601DateFormatter().string(from: Date()))")
            print("revoked certificate \(serial) (\(cert.uriNames.first ?? "\(cert.subject)")) in \(list)")
        }
    }
}
