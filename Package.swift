// swift-tools-version: 6.0
import PackageDescription

// Modules by responsibility, dependencies pointing down (see docs/architecture.md):
// CBLAS <- HDDNNRuntime <- HDDNNONNX <- hddnn (CLI).
// Later layers (models/data, cluster, scheduling) slot in between ONNX and the CLI.

#if os(Linux)
let blasDependency: [Target.Dependency] = ["CBLAS"]
#else
let blasDependency: [Target.Dependency] = []   // Accelerate on Apple platforms
#endif

let package = Package(
    name: "HDDNN",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hddnn", targets: ["hddnn"]),
        .library(name: "HDDNNRuntime", targets: ["HDDNNRuntime"]),
        .library(name: "HDDNNONNX", targets: ["HDDNNONNX"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
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
        .executableTarget(
            name: "hddnn",
            dependencies: [
                "HDDNNKernels",
                "HDDNNRuntime",
                "HDDNNONNX",
                "HDDNNData",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "HDDNNRuntimeTests", dependencies: ["HDDNNRuntime"]),
        .testTarget(
            name: "HDDNNONNXTests",
            dependencies: ["HDDNNONNX", "HDDNNRuntime", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .testTarget(
            name: "HDDNNDataTests",
            dependencies: ["HDDNNData", "HDDNNONNX", "HDDNNRuntime", "CZlib", "hddnn"]
        ),
        .testTarget(
            name: "hddnnTests",
            dependencies: ["hddnn", "HDDNNONNX", "HDDNNRuntime"]
        ),
    ]
)
