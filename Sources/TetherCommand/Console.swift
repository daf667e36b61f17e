import Foundation

/// Writes a line to standard output unbuffered, so status lines ("listening on …") reach a pipe or a log
/// file at once instead of when a buffer fills.
func printLine(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
