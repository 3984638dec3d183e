#!/usr/bin/env bash
# Regenerates Sources/HDDNNONNX/Generated/onnx.pb.swift from the official onnx.proto.
# Run once when onnx.proto changes; the output is committed (building the plugin takes minutes).
#
#   apt-get install -y protobuf-compiler
#   bash scripts/generate-onnx-proto.sh [path/to/onnx.proto]
#
# The onnx.proto committed beside the output came from the `onnx` 1.23.2 wheel on PyPI
# (onnx/onnx.proto inside it): `pip download --no-deps onnx==1.23.2 && unzip -j onnx-*.whl onnx/onnx.proto`.
set -euo pipefail
cd "$(dirname "$0")/.."
gen=Sources/HDDNNONNX/Generated
proto=${1:-$gen/onnx.proto}
[ "$proto" = "$gen/onnx.proto" ] || cp "$proto" "$gen/onnx.proto"
work=$(mktemp -d)
git clone -q https://github.com/apple/swift-protobuf "$work/swift-protobuf"
git -C "$work/swift-protobuf" checkout -q 1.39.0
swift build -c release --package-path "$work/swift-protobuf" --product protoc-gen-swift
protoc --plugin=protoc-gen-swift="$work/swift-protobuf/.build/release/protoc-gen-swift" \
  --swift_out="$gen" --swift_opt=Visibility=Public -I "$gen" "$gen/onnx.proto"
rm -rf "$work"
echo "wrote $gen/onnx.pb.swift"
