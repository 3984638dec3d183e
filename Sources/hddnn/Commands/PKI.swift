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
            spiffe://<trust-domain>/<role>/<trust>/<domain>/<name>, plus the DNS names and IP \
            addresses it is reached at, with server and client authentication and a short \
            validity (7 days by default). Nodes need the CA's certificate (ca.pem) and their own \
            pair (NAME.pem, NAME-key.pem); the CA's key (ca-key.pem, mode 600) stays where it was \
            made and is needed only to issue.

              hddnn pki init                                # .hddnn/pki/ca.pem, ca-key.pem
              hddnn pki issue --config configs/local.yaml   # every node + coordinator
              hddnn pki issue --config configs/local.yaml --node edge-1 --days 1
              hddnn pki show .hddnn/pki/edge-1.pem          # identity, trusted or not
            """,
        subcommands: [Init.self, Issue.self, Show.self])

    struct Folder: ParsableArguments {
        @Option(help: "Folder of the CA and the certificates.")
        var dir: String = ".hddnn/pki"

        var url: URL { URL(fileURLWithPath: dir) }
        var caCertificate: String { url.appendingPathComponent("ca.pem").path }
        var caKey: String { url.appendingPathComponent("ca-key.pem").path }
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
            print("CA for spiffe://\(trustDomain): \(folder.caCertificate) (key \(folder.caKey), owner-only), valid \(days) days")
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
            guard FileManager.default.fileExists(atPath: folder.caCertificate) else {
                throw ValidationError("no CA at \(folder.caCertificate); create one with `hddnn pki init --dir \(folder.dir)`")
            }
            let ca = try CertificateAuthority.load(certificate: folder.caCertificate, key: folder.caKey)
            let topology = try Topology.load(config)
            var wanted = node.isEmpty ? topology.nodes.map(\.name) + ["coordinator"] : node
            for name in wanted where name != "coordinator" { _ = try topology.node(name) }
            wanted = Array(NSOrderedSet(array: wanted)) as? [String] ?? wanted
            for name in wanted {
                let spec = try? topology.node(name)
                let role: NodeIdentity.Role = spec.map { NodeIdentity.Role(rawValue: $0.role.rawValue) ?? .service } ?? .coordinator
                let trust: NodeIdentity.Trust = spec?.trust == .undependable ? .undependable : .dependable
                let identity = try NodeIdentity(trustDomain: ca.trustDomain, role: role, trust: trust, domain: domain, name: name)
                let host = spec?.host ?? topology.defaults.host
                let isIP = IPv4or6(host)
                let issued = try ca.issue(identity, dnsNames: Array(Set(["localhost"] + (isIP ? [] : [host]))).sorted(),
                                          ipAddresses: Array(Set(["127.0.0.1"] + (isIP ? [host] : []))).sorted(),
                                          validity: TimeInterval(days) * 86_400)
                try issued.write(to: folder.url)
                print("\(name): \(identity.uri) -> \(folder.url.appendingPathComponent("\(name).pem").path), valid \(days) days")
            }
        }

        private func IPv4or6(_ host: String) -> Bool { host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." } }
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
}
