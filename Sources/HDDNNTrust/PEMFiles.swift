import Crypto
import Foundation
import SwiftASN1
import X509

/// Reading and writing the PEM files of the project's PKI, with errors that name the file.
public enum PEMFiles {
    public static func certificate(at path: String) throws(TrustError) -> Certificate {
        let text = try read(path)
        do { return try Certificate(pemEncoded: text) } catch { throw .unreadable(path, "not a PEM certificate (\(error))") }
    }

    /// Every certificate in a PEM file (a chain or a bundle).
    public static func certificates(at path: String) throws(TrustError) -> [Certificate] {
        let text = try read(path)
        do {
            let documents = try PEMDocument.parseMultiple(pemString: text)
            return try documents.map { try Certificate(derEncoded: $0.derBytes) }
        } catch { throw .unreadable(path, "not PEM certificates (\(error))") }
    }

    public static func privateKey(at path: String) throws(TrustError) -> Certificate.PrivateKey {
        let text = try read(path)
        do { return Certificate.PrivateKey(try P256.Signing.PrivateKey(pemRepresentation: text)) } catch {
            throw .unreadable(path, "not a PEM P-256 private key (\(error))")
        }
    }

    public static func write(certificate: Certificate, to url: URL) throws(TrustError) {
        do { try write(text: try certificate.serializeAsPEM().pemString, to: url, mode: 0o644) } catch let e as TrustError { throw e } catch {
            throw .unwritable(url.path, "\(error)")
        }
    }

    public static func write(key: Certificate.PrivateKey, to url: URL) throws(TrustError) {
        do { try write(text: try key.serializeAsPEM().pemString, to: url, mode: 0o600) } catch let e as TrustError { throw e } catch {
            throw .unwritable(url.path, "\(error)")
        }
    }

    private static func read(_ path: String) throws(TrustError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path, "no such file, or not readable") }
        return String(decoding: data, as: UTF8.self)
    }

    /// Writes through a temporary file created with `mode`, so a key is never readable by others,
    /// not even for a moment.
    static func write(text: String, to url: URL, mode: mode_t) throws(TrustError) {
        let temporary = url.path + ".tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        // A new file only (never one that exists or a link planted at that name), with its mode
        // set before the first byte.
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw .unwritable(url.path, String(cString: strerror(errno))) }
        fchmod(fd, mode)
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count, rename(temporary, url.path) == 0 else {
            unlink(temporary)
            throw .unwritable(url.path, String(cString: strerror(errno)))
        }
    }
}

/// Why the project's PKI cannot be used; each says what to do.
public enum TrustError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(String, String)
    case unwritable(String, String)
    case keyMismatch(certificate: String, key: String)
    case notACA(String, String)
    case badAddress(String)
    case exists(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let why): "'\(path)': \(why)"
        case .unwritable(let path, let why): "cannot write '\(path)': \(why)"
        case .keyMismatch(let c, let k): "the key '\(k)' does not belong to the certificate '\(c)'"
        case .notACA(let path, let why): "'\(path)' is not this project's CA certificate: \(why); create one with `hddnn pki init`"
        case .badAddress(let ip): "'\(ip)' is not an IPv4 or IPv6 address"
        case .exists(let path): "'\(path)' exists; pass --force to replace the CA (every node certificate it signed stops being trusted)"
        }
    }
}
