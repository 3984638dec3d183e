import ArgumentParser
import Foundation

/// Where commands that start their own testbeds find the shipped models and the data set.
struct AssetOptions: ParsableArguments {
    @Option(help: "Folder with the shipped models.")
    var models: String = "models"

    @Option(help: "Folder with the Fashion-MNIST files.")
    var data: String = "/usr/share/datasets/fashion-mnist"

    var modelsURL: URL { URL(fileURLWithPath: models).standardizedFileURL }
}
