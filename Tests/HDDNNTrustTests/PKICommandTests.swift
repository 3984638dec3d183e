import Foundation
import HDDNNTestSupport
import Testing

/// `hddnn pki` as a user runs it: a CA, every node of a topology, a look at one certificate, and
/// the refusals that keep a CA from being replaced by accident.
@Suite struct PKICommandTests {
    let hddnn = ProcessRunner()

    @Test func theCAIssuesEveryNodeOfATopologyAndTheirCertificatesAreTrusted() throws {
        let dir = try Repository.workspace("pki-cli")
        let pki = dir.appendingPathComponent("pki").path
        let topology = Repository.root.appendingPathComponent("configs/local.yaml").path
        let made = try hddnn.run(["pki", "init", "--dir", pki, "--trust-domain", "lab.example"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("spiffe://lab.example"))

        let again = try hddnn.run(["pki", "init", "--dir", pki])
        #expect(again.status != 0 && again.stderr.contains("--force"), "an existing CA is not replaced silently: \(again.stderr)")

        let issued = try hddnn.run(["pki", "issue", "--dir", pki, "--config", topology])
        #expect(issued.status == 0, "\(issued.stderr)")
        for name in ["end-1", "edge-2", "cloud", "coordinator"] {
            #expect(FileManager.default.fileExists(atPath: "\(pki)/\(name).pem") && FileManager.default.fileExists(atPath: "\(pki)/\(name)-key.pem"))
        }
        #expect(issued.stdout.contains("spiffe://lab.example/cloud/undependable/default/cloud"))
        #expect(issued.stdout.contains("spiffe://lab.example/coordinator/dependable/default/coordinator"))

        let shown = try hddnn.run(["pki", "show", "--dir", pki, "\(pki)/edge-2.pem"])
        #expect(shown.status == 0 && shown.stdout.contains("trusted:  yes, as edge 'edge-2' (undependable"), "\(shown.stdout)\(shown.stderr)")

        let unknown = try hddnn.run(["pki", "issue", "--dir", pki, "--config", topology, "--node", "nobody"])
        #expect(unknown.status != 0 && unknown.stderr.contains("nobody"), "\(unknown.stderr)")

        // A new CA: the old certificates stop being trusted, and `show` says so.
        let replaced = try hddnn.run(["pki", "init", "--dir", pki, "--trust-domain", "lab.example", "--force"])
        #expect(replaced.status == 0)
        let stale = try hddnn.run(["pki", "show", "--dir", pki, "\(pki)/edge-2.pem"])
        #expect(stale.status == 1 && stale.stdout.contains("trusted:  no"), "\(stale.stdout)")
    }

    @Test func issuingWithoutACASaysHowToMakeOne() throws {
        let dir = try Repository.workspace("pki-none")
        let topology = Repository.root.appendingPathComponent("configs/local.yaml").path
        let result = try hddnn.run(["pki", "issue", "--dir", dir.path, "--config", topology])
        #expect(result.status != 0)
        #expect(result.stderr.contains("ca.pem") && !result.stderr.contains("Fatal error"), "\(result.stderr)")
    }
}
