/// A labelled image data split read batch by batch, front to back.
///
/// Readers stream: they hold one batch, never the split, so a 60,000-image training set costs
/// the same memory as a 100-image test. A reader is used once; open a new one to read again.
public protocol LabeledImageReader: AnyObject {
    /// What is being read, for reports ("fashion-mnist test").
    var name: String { get }
    /// Samples in the split.
    var count: Int { get }
    /// One image's shape, `[C, H, W]`.
    var sampleShape: [Int] { get }
    /// The labels' two levels and the mapping between them.
    var taxonomy: Taxonomy { get }
    /// The next up to `maxCount` samples; nil after the last one (after checking the files end
    /// where their headers say).
    func next(maxCount: Int) throws(DatasetError) -> LabeledBatch?
}
