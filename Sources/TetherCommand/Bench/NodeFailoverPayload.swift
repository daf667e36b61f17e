/// The data of `tether bench failover`'s publications: `{"seq":N}`, N the publication's sequence number
/// (0, 1, … over the whole run; publication N goes to channel N mod C).
enum NodeFailoverPayload {
    /// `{"seq":N}`.
    static func data(seq: UInt64) -> String {
        "{\"seq\":\(seq)}"
    }

    /// The sequence number in `text` when it is data this bench wrote (`{"seq":N…`, whitespace allowed
    /// around the colon), nil otherwise.
    static func seq(in text: String) -> UInt64? {
        var bytes = text.utf8[...]
        func skipSpaces() { while let first = bytes.first, first == 0x20 || first == 0x09 || first == 0x0A || first == 0x0D { bytes = bytes.dropFirst() } }
        func expect(_ literal: String) -> Bool {
            guard bytes.starts(with: literal.utf8) else { return false }
            bytes = bytes.dropFirst(literal.utf8.count)
            return true
        }
        skipSpaces()
        guard expect("{") else { return nil }
        skipSpaces()
        guard expect("\"seq\"") else { return nil }
        skipSpaces()
        guard expect(":") else { return nil }
        skipSpaces()
        var value: UInt64 = 0
        var digits = 0
        while let first = bytes.first, (0x30...0x39).contains(first) {
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(UInt64(first - 0x30))
            guard !overflowTimes, !overflowSum else { return nil }
            value = sum
            digits += 1
            bytes = bytes.dropFirst()
        }
        return digits > 0 ? value : nil
    }
}
