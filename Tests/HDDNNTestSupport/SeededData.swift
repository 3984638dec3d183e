/// Deterministic data for tests: the same bytes on every machine and every run.
public enum SeededData {
    /// `count` pseudo-random values from a 64-bit linear congruential generator (Knuth's MMIX
    /// constants), top byte of each step.
    public static func bytes(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
    }

    /// `count` UINT8 images of 1x28x28 (Fashion-MNIST's shape).
    public static func images(_ count: Int, seed: UInt64 = 7) -> [UInt8] { bytes(count * 784, seed: seed) }

    /// `count` floats uniform in [-1, 1).
    public static func floats(_ count: Int, seed: UInt64 = 7) -> [Float] {
        bytes(count, seed: seed).map { Float($0) / 128 - 1 }
    }
}
