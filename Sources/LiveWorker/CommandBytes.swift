import CeleryWire

/// The constant words of the commands the main loop sends for every task, made once.
///
/// A command is `[[UInt8]]`; spelling a constant argument as `Array("MULTI".utf8)` allocates it
/// again for every task, and the batch keeps it until its replies arrive. Shared arrays cost a
/// retain instead.
enum CommandBytes {
    static let multi: [[UInt8]] = [Array("MULTI".utf8)]
    static let exec: [[UInt8]] = [Array("EXEC".utf8)]
    static let evalsha: [UInt8] = Array("EVALSHA".utf8)
    static let eval: [UInt8] = Array("EVAL".utf8)
    static let zrem: [UInt8] = Array("ZREM".utf8)
    static let hdel: [UInt8] = Array("HDEL".utf8)
    static let one: [UInt8] = Array("1".utf8)
    static let unacked: [UInt8] = Array(KombuKeys.unacked.utf8)
    static let unackedIndex: [UInt8] = Array(KombuKeys.unackedIndex.utf8)
}
