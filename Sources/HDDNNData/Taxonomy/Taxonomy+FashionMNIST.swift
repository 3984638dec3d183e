extension Taxonomy {
    /// Fashion-MNIST's 10 classes (label bytes 0-9 in this order) under the coarse level the
    /// project gives them, identical to training/taxonomy.py, from which every model card's
    /// `"taxonomy"` is written:
    ///
    ///     tops     <- T-shirt/top, Pullover, Coat, Shirt
    ///     bottoms  <- Trouser
    ///     dresses  <- Dress
    ///     footwear <- Sandal, Sneaker, Ankle boot
    ///     bags     <- Bag
    ///
    /// The classes are unbalanced at the coarse level (tops hold 40% of the test set), which is
    /// why evaluation also reports the coarse accuracy macro-averaged over classes.
    public static let fashionMNIST = try! Taxonomy(
        fineLabels: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        groups: [
            ("tops", ["T-shirt/top", "Pullover", "Coat", "Shirt"]),
            ("bottoms", ["Trouser"]),
            ("dresses", ["Dress"]),
            ("footwear", ["Sandal", "Sneaker", "Ankle boot"]),
            ("bags", ["Bag"]),
        ])
}
