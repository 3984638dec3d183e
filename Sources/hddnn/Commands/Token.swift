import ArgumentParser
import Foundation
import HDDNNCluster
import HDDNNTrust

/// `hddnn token`: bearer tokens for clients that are not nodes (any OIP v2 client, scripts).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Issue and inspect bearer tokens for clients without a node certificate.",
        discussion: """
            A token is a JWT signed (ES256) with the project's token key, which `hddnn pki init` \
            makes beside the CA. It names a client (--subject), what it may do (--scope: infer, \
            metrics, admin, query:<subject>), which nodes take it (--audience: node names, or the \
            trust domain for all), and for how long (at most 24 h). Nodes check all of it, and \
            their access log names the client.

              TOKEN=$(hddnn token issue --subject alice --scope infer --audience edge-1)
              curl --cacert .hddnn/pki/ca.pem -H "Authorization: Bearer $TOKEN" \\
                   https://localhost:19105/v2/models/edge-resnet
              hddnn token show "$TOKEN"
            """,
        subcommands: [Issue.self, Show.self, Revoke.self])

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign a token and print it on standard output.")

        @Option(name: .customLong("dir"), help: "Folder of the CA and the token key (default: .hddnn/pki, or the CA's folder of --config).")
        var dir: String?

        @Option(help: "Topology file whose `tls` section says where the CA and its token key are.")
        var config: String?

        @Option(help: "Who the token is for (the access log's name for the caller).")
        var subject: String

        @Option(help: "What the token allows (repeatable): infer, metrics, admin, or query:<subject>.")
        var scope: [String] = []

        @Option(help: "Node names that take the token (repeatable; default: every node of the trust domain).")
        var audience: [String] = []

        @Option(help: "How long the token is valid, e.g. 15m or 8h (at most 24h).")
        var valid: String = "1h"

        func validate() throws {
            guard !scope.isEmpty else { throw ValidationError("give at least one --scope (infer, metrics, admin or query:<subject>)") }
            for s in scope where Scope(s) == nil {
                throw ValidationError("--scope \(s): expected infer, metrics, admin or query:<subject>")
            }
            guard !subject.isEmpty, !subject.contains(where: \.isWhitespace) else { throw ValidationError("--subject must be a name without spaces") }
        }

        func run() async throws {
            let folder: URL
            if let dir { folder = URL(fileURLWithPath: dir) } else if let config, let tls = try Topology.load(config).tls {
                folder = URL(fileURLWithPath: tls.ca).deletingLastPathComponent()
            } else { folder = URL(fileURLWithPath: ".hddnn/pki") }
            let ca = try CertificateAuthority.load(certificate: folder.appendingPathComponent(CertificateAuthority.certificateFileName).path)
            let signer = try TokenSigner.load(from: folder, trustDomain: ca.trustDomain)
            let lifetime = try parseSeconds(valid, "--valid")
            let now = Date()
            let token = AccessToken(subject: subject, scopes: Set(scope.compactMap(Scope.init)),
                                    audience: audience.isEmpty ? [ca.trustDomain] : audience, issuer: ca.trustDomain,
                                    notBefore: now, expires: now.addingTimeInterval(lifetime))
            let text = try await signer.sign(token)
            FileHandle.standardError.write(Data("token for '\(subject)' (\(scope.joined(separator: " "))) to \(token.audience.joined(separator: ", ")), valid until \(ISO8601DateFormatter().string(from: token.expires)), key \(signer.keyID)\n".utf8))
            print(text)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Verify a token as a node would and print what it allows.")

        @Option(name: .customLong("dir"), help: "Folder of the CA and tokens.pem (default: .hddnn/pki).")
        var dir: String = ".hddnn/pki"

        @Option(help: "Verify as this node would (default: any node of the trust domain).")
        var audience: String?

        @Argument(help: "The token.")
        var token: String

        func run() async throws {
            let folder = URL(fileURLWithPath: dir)
            let root = try PEMFiles.certificate(at: folder.appendingPathComponent(CertificateAuthority.certificateFileName).path)
            let domain = root.uriNames.first.map { String($0.dropFirst("spiffe://".count)) } ?? ""
            let verifier = try TokenVerifier.load(publicKey: folder.appendingPathComponent(TokenSigner.publicKeyFileName).path,
                                                  trustDomain: domain, audience: audience ?? domain)
            do {
                let t = try await verifier.verify(token)
                print("subject:  \(t.subject)")
                print("scopes:   \(t.scopes.sorted().map(\.description).joined(separator: " "))")
                print("audience: \(t.audience.joined(separator: ", "))")
                print("valid:    \(ISO8601DateFormatter().string(from: t.notBefore)) to \(ISO8601DateFormatter().string(from: t.expires))")
                print("id:       \(t.id)")
            } catch {
                print("refused:  \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a token before it expires.",
            discussion: """
                Appends the token's id (its jti, also in every access-log line) to revoked.txt \
                beside the CA; nodes re-read the file within a second of a change and refuse the \
                token from then on. Give the token itself, or its id.
                """)

        @Option(name: .customLong("dir"), help: "Folder of the CA and tokens.pem (default: .hddnn/pki).")
        var dir: String = ".hddnn/pki"

        @Argument(help: "The token, or its id (jti).")
        var token: String

        func run() async throws {
            let folder = URL(fileURLWithPath: dir)
            var id = token, subject = "?"
            let parts = token.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count == 3 {
                // Listing an id grants nothing, so the token's claims are read without verifying it.
                var payload = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
                payload += String(repeating: "=", count: (4 - payload.count % 4) % 4)
                guard let data = Data(base64Encoded: payload),
                      let claims = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let jti = claims["jti"] as? String else {
                    throw ValidationError("the token carries no id (jti) to revoke")
                }
                (id, subject) = (jti, claims["sub"] as? String ?? "?")
            }
            let list = folder.appendingPathComponent(RevocationList.fileName).path
            try RevocationList.append("token", id, to: list, note: "subject \(subject), revoked \(ISO8601DateFormatter().string(from: Date()))")
            print("revoked token \(id) in \(list)")
        }
    }
}
