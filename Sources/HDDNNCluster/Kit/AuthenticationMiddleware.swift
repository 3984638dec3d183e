import Foundation
import HDDNNTrust
import HTTPTypes
import Hummingbird
import Logging

/// The first thing every request meets on a node: deciding who calls (`Caller`), and one
/// access-log line naming that caller, its route, status and time.
///
/// Under TLS a bearer token, when the request has one, decides (and a bad one is a 401 whatever
/// certificate came with it); otherwise the certificate presented at the handshake, already
/// verified there; otherwise the caller is anonymous, which only the health routes answer.
/// Headers and body fields that claim a role, trust or domain are never read here.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = NodeRequestContext
    /// False for `tls: off`: every caller is `.plain`.
    public let tls: Bool
    /// Verifies bearer tokens; nil when the node takes none.
    public let tokens: TokenVerifier?
    public let clock: @Sendable () -> Date
    public let logger: Logger
    /// Called for each request refused here (for `hddnn_authorization_denials_total`).
    public let refused: @Sendable (OIPError) -> Void

    public init(tls: Bool, tokens: TokenVerifier?, clock: @escaping @Sendable () -> Date = Date.init, logger: Logger,
                refused: @escaping @Sendable (OIPError) -> Void = { _ in }) {
        self.tls = tls
        self.tokens = tokens
        self.clock = clock
        self.logger = logger
        self.refused = refused
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var context = context
        do throws(OIPError) { context.caller = try await caller(of: request, context) } catch {
            refused(error)
            log(request, caller: "refused (\(error))", status: error.status, since: start)
            return OIPHTTP.error(error)
        }
        do {
            let response = try await next(request, context)
            log(request, caller: context.caller.description, status: Int(response.status.code), since: start)
            return response
        } catch {
            log(request, caller: context.caller.description, status: Int((error as? any HTTPResponseError)?.status.code ?? 500), since: start)
            throw error
        }
    }

    func caller(of request: Request, _ context: Context) async throws(OIPError) -> Caller {
        guard tls else { return .plain }
        if let header = request.headers[.authorization] {
            guard let tokens else {
                throw .unauthorized("this node takes no bearer tokens (no token key at its topology's tls.tokens); call it with a project certificate")
            }
            guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
                throw .unauthorized("the Authorization header must be 'Bearer <token>'")
            }
            do { return .client(try await tokens.verify(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces), now: clock())) } catch {
                throw .unauthorized("\(error)")
            }
        }
        if let identity = await context.peerIdentity() { return .node(identity) }
        return .anonymous
    }

    private func log(_ request: Request, caller: String, status: Int, since start: ContinuousClock.Instant) {
        let ms = (ContinuousClock.now - start).seconds * 1000
        let level: Logger.Level = request.uri.path.hasPrefix("/v2/health") ? .debug : .info
        logger.log(level: level, "\(request.method) \(request.uri.path) \(status)",
                   metadata: ["caller": "\(caller)", "ms": "\(String(format: "%.2f", ms))"])
    }
}
