// swift-tools-version: 6.1
import PackageDescription

// Modules by responsibility, dependencies pointing down (README "Architecture", docs/distributed-system.md):
// CBLAS <- HDDNNRuntime <- HDDNNONNX <- hddnn (CLI).
// HDDNNData (datasets, taxonomies, model cards) <- HDDNNCluster (topology, OIP v2 nodes and clients,
// link emulation) <- HDDNNScheduling (schemes, job runner, fault policies, journal)
// <- HDDNNExperiments (the paper's §4, reproduced) <- hddnn.
// HDDNNCluster <- HDDNNHolistic (catalogue, planner, placement, outcome fusion: the vision paper) <- hddnn.
// HDDNNTrust (identities, the project CA, peer verification, bearer tokens) <- HDDNNCluster (mutual TLS on every hop).
// Tests/HDDNNTestSupport: what the test targets share (paths, a process runner, seeded data, a manual clock).

#if os(Linux)
let blasDependency: [Target.Dependency] = ["CBLAS"]
#else
let blasDependency: [Target.Dependency] = []   // Accelerate on Apple platforms
#endif

let package = Package(
    name: "HDDNN",
    platforms: [.macOS(.v15)],  // Synchronization.Mutex
    products: [
        .executable(name: "hddnn", targets: ["hddnn"]),
        .library(name: "HDDNNRuntime", targets: ["HDDNNRuntime"]),
        .library(name: "HDDNNONNX", targets: ["HDDNNONNX"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        // OTLP/HTTP only: the gRPC exporter would compile grpc-swift for no gain (any collector takes HTTP).
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "HDDNNKernels"),
        .target(
            name: "HDDNNRuntime",
            dependencies: blasDependency + ["HDDNNKernels"]
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "HDDNNONNX",
            dependencies: [
                "HDDNNRuntime",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Generated/README.md", "Generated/onnx.proto"]
        ),
        .target(
            name: "HDDNNData",
            dependencies: ["HDDNNRuntime", "HDDNNONNX", "CZlib"]
        ),
        // The project's PKI: node identities (SPIFFE URI SANs), the CA, node certificates, and the
        // check that a peer's chain proves an identity.
        .target(
            name: "HDDNNTrust",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ]
        ),
        .target(
            name: "HDDNNCluster",
            dependencies: [
                "HDDNNRuntime",
                "HDDNNONNX",
                "HDDNNData",
                "HDDNNTrust",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .target(
            name: "HDDNNScheduling",
            dependencies: [
                "HDDNNCluster",
                "HDDNNData",
                "HDDNNRuntime",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .target(
            name: "HDDNNHolistic",
            dependencies: [
                "HDDNNCluster", "HDDNNData", "HDDNNRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "HDDNNExperiments",
            dependencies: [
                "HDDNNScheduling", "HDDNNCluster", "HDDNNData", "HDDNNRuntime", "HDDNNONNX",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "hddnn",
            dependencies: [
                "HDDNNKernels",
                "HDDNNRuntime",
                "HDDNNONNX",
                "HDDNNData",
                "HDDNNCluster",
                "HDDNNScheduling",
                "HDDNNExperiments",
                "HDDNNHolistic",
                "HDDNNTrust",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // What the test targets share: the repository's paths, a process runner, seeded data, a manual clock, forged tokens.
        .target(
            name: "HDDNNTestSupport",
            dependencies: ["HDDNNScheduling", "HDDNNTrust", .product(name: "Crypto", package: "swift-crypto")],
            path: "Tests/HDDNNTestSupport"
        ),
        .testTarget(
            name: "HDDNNTrustTests",
            dependencies: ["HDDNNTrust", "HDDNNTestSupport", "hddnn", .product(name: "X509", package: "swift-certificates"),
                           .product(name: "Crypto", package: "swift-crypto"), .product(name: "SwiftASN1", package: "swift-asn1")]
        ),
        .testTarget(name: "HDDNNRuntimeTests", dependencies: ["HDDNNRuntime", "HDDNNTestSupport"]),
        .testTarget(
            name: "HDDNNONNXTests",
            dependencies: ["HDDNNTestSupport", "HDDNNONNX", "HDDNNRuntime", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .testTarget(
            name: "HDDNNDataTests",
            dependencies: ["HDDNNTestSupport", "HDDNNData", "HDDNNONNX", "HDDNNRuntime", "CZlib", "hddnn"]
        ),
        .testTarget(
            name: "HDDNNClusterTests",
            dependencies: ["HDDNNTestSupport", 
                "HDDNNCluster", "HDDNNRuntime", "HDDNNData", "HDDNNTrust", "hddnn",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "HDDNNSchedulingTests",
            dependencies: ["HDDNNTestSupport", "HDDNNScheduling", "HDDNNCluster", "HDDNNData", "hddnn"]
        ),
        .testTarget(
            name: "HDDNNHolisticTests",
            dependencies: ["HDDNNTestSupport", "HDDNNHolistic", "HDDNNCluster", "HDDNNData", "HDDNNTrust", "hddnn",
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "Yams", package: "Yams")]
        ),
        .testTarget(
            name: "HDDNNExperimentsTests",
            dependencies: ["HDDNNTestSupport", "HDDNNExperiments", "hddnn"]
        ),
        .testTarget(
            name: "hddnnTests",
            dependencies: ["HDDNNTestSupport", "hddnn", "HDDNNONNX", "HDDNNRuntime", "HDDNNCluster", "HDDNNData",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "Yams", package: "Yams")]
        ),
    ]
)
