/// CIFAR-100 (Krizhevsky, 2009) in its binary version, the paper's data set: 60,000 32x32 colour
/// images, 50,000 to train (`train.bin`) and 10,000 to test (`test.bin`), each with a fine label
/// (100 classes) and a coarse one (20 superclasses).
///
/// It cannot be downloaded on the project's machines; the loader is tested on generated files so
/// that users who have `cifar-100-binary.tar.gz` get the paper's set-up unchanged.
public enum CIFAR100 {
    /// One image: three channels of 32 x 32.
    public static let sampleShape = [3, 32, 32]
    /// One record: coarse label byte, fine label byte, 1024 red, 1024 green, 1024 blue bytes
    /// (each channel row by row, so the pixels are already CHW).
    public static let recordSize = 2 + 3 * 32 * 32

    public static func file(_ split: DatasetSplit) -> String {
        switch split {
        case .train: "train.bin"
        case .test: "test.bin"
        }
    }

    /// Opens a split in `directory` (the `cifar-100-binary` folder of the official archive).
    public static func open(directory: String, split: DatasetSplit = .test) throws(DatasetError) -> CIFAR100Reader {
        let path = directory + "/" + file(split)
        guard fileExists(path) else {
            throw .unreadable(path: path, reason: "no such file; download cifar-100-binary.tar.gz from "
                + "https://www.cs.toronto.edu/~kriz/cifar.html, unpack it and pass --data DIR/cifar-100-binary")
        }
        return try CIFAR100Reader(path: path, name: "cifar100 \(split.rawValue)")
    }
}
