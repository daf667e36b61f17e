import TetherCommand

/// The `tether` executable: everything lives in `TetherCommand`, so tests can drive the commands.
@main
enum TetherMain {
    static func main() async {
        await TetherRootCommand.main()
    }
}
