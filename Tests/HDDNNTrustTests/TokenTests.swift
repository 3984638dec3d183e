import Crypto
import Foundation
import HDDNNTestSupport
import HDDNNTrust
import Testing

/// The project's bearer tokens: what `TokenSigner` signs `TokenVerifier` takes, with its scopes,
/// and every forged or stale token is refused with the reason that names the attack.
@Suite struct TokenTests {
    let key = P256.Signing.PrivateKey()
    var signer: TokenSigner { TokenSigner(trustDomain: "hddnn.local", key: key) }
    var verifier: TokenVerifier { TokenVerifier(publicKey: signer.publicKey, trustDomain: "hddnn.local", audience: "edge-1") }

    func token(audience: [String] = ["edge-1"], scopes: Set<Scope> = [.infer, .query(subject: "patient-7")], lifetime: TimeInterval = 600) -> AccessToken {
        AccessToken(subject: "alice", scopes: scopes, audience: audience, issuer: "hddnn.local",
                    notBefore: Date(), expires: Date().addingTimeInterval(lifetime))
    }

    @Test func aSignedTokenVerifiesWithItsScopes() async throws {
        let issued = token()
        let text = try await signer.sign(issued)
        let got = try await verifier.verify(text)
        #expect(got.subject == "alice" && got.id == issued.id && got.audience == ["edge-1"])
        #expect(got.allows(.infer) && got.allows(.query(subject: "patient-7")))
        #expect(!got.allows(.admin) && !got.allows(.query(subject: "patient-8")) && !got.allows(.metrics))
        // A token for the whole trust domain is taken by every node of it.
        let wide = try await signer.sign(token(audience: ["hddnn.local"]))
        #expect(try await verifier.verify(wide).subject == "alice")
    }

    /// The deny list: entries appended take effect on a verifier that is already running, other
    /// tokens and comments are left alone, and a missing file denies nothing.
    @Test func aRevokedTokenIsRefusedByARunningVerifier() async throws {
        let dir = try Repository.workspace("revoked")
        let list = RevocationList(path: dir.appendingPathComponent(RevocationList.fileName).path)
        let verifier = TokenVerifier(publicKey: signer.publicKey, trustDomain: "hddnn.local", audience: "edge-1", revocations: list)
        let kept = token(), gone = token()
        let (keptText, goneText) = (try await signer.sign(kept), try await signer.sign(gone))
        #expect(try await verifier.verify(goneText).id == gone.id, "no file: nothing is revoked")
        try RevocationList.append("token", gone.id, to: list.path, note: "lost laptop")
        try await Task.sleep(for: .milliseconds(1100))
        await #expect(throws: TokenError.revoked(id: gone.id)) { _ = try await verifier.verify(goneText) }
        #expect(try await verifier.verify(keptText).id == kept.id)
        let parsed = RevocationList.parse("# certificate ab:cd\ncertificate AB:CD:EF  # stolen\ntoken t-1\nbogus line here\n")
        #expect(parsed.serials == ["abcdef"] && parsed.tokens == ["t-1"])
    }

    @Test func theSignerRefusesLongLivedAndEmptyTokens() async throws {
        await #expect(throws: TokenError.self) { try await signer.sign(token(lifetime: 2 * 86_400)) }
        await #expect(throws: TokenError.self) { try await signer.sign(token(scopes: [])) }
        await #expect(throws: TokenError.self) { try await signer.sign(token(audience: [])) }
    }

    @Test func everyForgedOrStaleTokenIsRefusedWithItsReason() async throws {
        let forged = ForgedTokens(key: key, audience: "edge-1")
        // The forger's baseline, signed properly, is a good token: the attacks differ from it in one thing each.
        #expect(try await verifier.verify(forged.signed(forged.claims())).subject == "mallory")
        for attack in forged.attacks() {
            do {
                let token = try await verifier.verify(attack.token)
                Issue.record("\(attack.name): accepted as \(token.subject)")
            } catch {
                #expect("\(error)".contains(attack.refusal), "\(attack.name): \(error)")
            }
        }
    }

    @Test func theKeysRoundTripThroughTheirFiles() async throws {
        let dir = try Repository.workspace("tokens")
        try signer.write(to: dir)
        let keyMode = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(TokenSigner.keyFileName).path)[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        let loaded = try TokenSigner.load(from: dir, trustDomain: "hddnn.local")
        #expect(loaded.keyID == signer.keyID)
        let fromFile = try TokenVerifier.load(publicKey: dir.appendingPathComponent(TokenSigner.publicKeyFileName).path,
                                              trustDomain: "hddnn.local", audience: "edge-1")
        #expect(try await fromFile.verify(try await loaded.sign(token())).subject == "alice")
        #expect(throws: TrustError.self) { try TokenSigner.load(from: dir.appendingPathComponent("nowhere"), trustDomain: "hddnn.local") }
    }

    @Test func scopesReadAsTheyAreWritten() {
        #expect(Scope("infer") == .infer && Scope("admin") == .admin && Scope("metrics") == .metrics)
        #expect(Scope("query:patient-7") == .query(subject: "patient-7"))
        #expect(Scope("query:") == nil && Scope("root") == nil && Scope("query:a b") == nil)
        #expect(Scope.query(subject: "x").description == "query:x")
    }
}
