import ArgumentParser

@main
struct HDDNN: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hddnn",
        abstract: "Run deep-learning inference across end, edge and cloud nodes.",
        subcommands: [])
}
