/// What ``ClientCommand/decode(_:limits:)-(some Collection<UInt8>,_)`` made of one text frame.
public enum CommandDecoding: Sendable, Hashable {
    /// A valid command.
    case command(ClientCommand)
    /// A well-formed envelope (object, valid `id`, string `op`) with an unknown op (error `104`) or bad fields
    /// (error `107`): reply with the error, keep the connection.
    case invalid(id: UInt32, ProtocolError)
    /// Cannot be answered: close the connection with the error's ``FrameError/closeCode`` (`3501` or `1009`).
    case frameError(FrameError)
}
