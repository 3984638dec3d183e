/// Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): 70,000 28x28 grey images of 10 clothing
/// classes, 60,000 to train and 10,000 to test, in MNIST's IDX format.
///
/// It is the project's default data set because Debian ships it (`dataset-fashion-mnist`), while
/// the paper's CIFAR-100 cannot be downloaded here. Its 10 flat classes get the coarse level of
/// `Taxonomy.fashionMNIST` so that the paper's coarse (end device) versus fine (edge, cloud) task
/// split works unchanged.
public enum FashionMNIST {
    /// Where `dataset-fashion-mnist` installs the four files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    /// One image: one channel of 28 x 28.
    public static let sampleShape = [1, 28, 28]

    /// Image and label file names of a split, as distributed (gzip-compressed IDX).
    public static func files(_ split: DatasetSplit) -> (images: String, labels: String) {
        switch split {
        case .train: ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
        case .test: ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
        }
    }

    /// Opens a split for streaming. An unpacked copy (the same names without `.gz`) is used when
    /// the `.gz` files are absent.
    public static func open(directory: String = defaultDirectory, split: DatasetSplit = .test) throws(DatasetError) -> IDXImageReader {
        let (images, labels) = files(split)
        return try IDXImageReader(
            name: "fashion-mnist \(split.rawValue)",
            images: existing(directory, images), labels: existing(directory, labels),
            taxonomy: .fashionMNIST, imageSize: [28, 28])
    }

    /// `dir/name` if it exists, else `dir/name` without `.gz` if that exists, else `dir/name` (whose
    /// open then fails with a message that says how to get the data).
    public static func existing(_ directory: String, _ name: String) throws(DatasetError) -> String {
        let path = directory + "/" + name
        if fileExists(path) { return path }
        let unpacked = String(path.dropLast(3))
        if fileExists(unpacked) { return unpacked }
        throw .unreadable(path: path, reason: "no such file; install the Debian package dataset-fashion-mnist "
            + "(files in \(defaultDirectory)) or pass --data DIR with the four *-ubyte.gz files")
    }
}

/// Which part of a data set: the models are trained on `train` and measured on `test`.
public enum DatasetSplit: String, Sendable, CaseIterable {
    case train, test
}
