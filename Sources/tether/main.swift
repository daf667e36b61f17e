import TetherCommand

await TetherRootCommand.main()
