import Foundation

/// Parsing of the human-written quantities in a topology file: durations ("250ms", "0.5s", "0")
/// and bandwidths ("100Mbit/s", "12.5MB/s", "unlimited"). One place, so every number in a
/// topology means the same thing wherever it is read.
public enum Quantity {
    /// Seconds from "250ms", "0.5s", "2 s", "1500us", "15m", "8h" or a bare number of seconds.
    public static func seconds(_ text: String, field: String) throws(TopologyError) -> Double {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("s", 1), ("min", 60), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            if let v = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v >= 0, v.isFinite {
                return v * scale
            }
        }
        if let v = Double(t), v >= 0, v.isFinite { return v }
        throw .badQuantity(field: field, value: text, expected: "a duration such as 250ms, 0.5s, 15m, 8h or 0")
    }

    /// Bytes per second from "100Mbit/s", "1Gbit/s", "12.5MB/s", "800kB/s" or "unlimited"
    /// (infinity: no transmission time is charged).
    public static func bytesPerSecond(_ text: String, field: String) throws(TopologyError) -> Double {
        let t = text.trimmingCharacters(in: .whitespaces)
        if ["unlimited", "inf", "infinite", "none"].contains(t.lowercased()) { return .infinity }
        let units: [(String, Double)] = [
            ("Gbit/s", 1e9 / 8), ("Mbit/s", 1e6 / 8), ("kbit/s", 1e3 / 8), ("bit/s", 1.0 / 8),
            ("GB/s", 1e9), ("MB/s", 1e6), ("kB/s", 1e3), ("B/s", 1),
        ]
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            if let v = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v > 0, v.isFinite {
                return v * scale
            }
        }
        throw .badQuantity(field: field, value: text, expected: "a bandwidth such as 100Mbit/s, 12.5MB/s or unlimited")
    }

    /// "250 ms" / "1.2 s" for reports.
    public static func describe(seconds: Double) -> String {
        seconds < 1 ? String(format: "%.0f ms", seconds * 1000) : String(format: "%.2f s", seconds)
    }

    /// "100 Mbit/s" / "unlimited" for reports.
    public static func describe(bytesPerSecond b: Double) -> String {
        guard b.isFinite else { return "unlimited" }
        let bits = b * 8
        if bits >= 1e9 { return String(format: "%g Gbit/s", bits / 1e9) }
        if bits >= 1e6 { return String(format: "%g Mbit/s", bits / 1e6) }
        return String(format: "%g kbit/s", bits / 1e3)
    }
}
