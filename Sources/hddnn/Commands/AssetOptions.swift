import ArgumentParser
import Foundation
import HDDNNCluster
import HDDNNExperiments

/// Where commands that start their own testbeds find the shipped models and the data set.
struct AssetOptions: ParsableArguments {
    @Option(help: "Folder with the shipped models.")
    var models: String = "models"

    @Option(help: "Folder with the Fashion-MNIST files.")
    var data: String = "/usr/share/datasets/fashion-mnist"

    var modelsURL: URL { URL(fileURLWithPath: models).standardizedFileURL }

    /// The context an experiment runs in: this binary for the nodes, these assets, results in
    /// `output`, progress on standard error.
    func context(output: String, full: Bool) -> ExperimentContext {
        ExperimentContext(executable: LocalCluster.currentExecutable, models: modelsURL, dataDirectory: data,
                          output: URL(fileURLWithPath: output).standardizedFileURL, full: full,
                          log: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
    }
}
