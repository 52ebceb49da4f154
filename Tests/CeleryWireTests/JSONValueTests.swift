import Testing
import CeleryWire

/// The parser/serializer pair against Python's `json` module. Expected strings below were produced
/// by CPython 3.11 (`repr(float)`, `json.dumps(str)`).
@Suite("JSONValue: parse and Python-compatible serialization")
struct JSONValueTests {
    /// (IEEE-754 bit pattern, Python repr) pairs.
    static let floats: [(UInt64, String)] = [
        (0, "0.0"),
        (9223372036854775808, "-0.0"),
        (4607182418800017408, "1.0"),
        (4602678819172646912, "0.5"),
        (4745319450005021218, "1795921805.2052083"),
        (4532020583610935537, "1e-05"),
        (4846369599423283200, "1e+16"),
        (4846369599423283199, "9999999999999998.0"),
        (4547007122018943789, "0.0001"),
        (4562254508917369340, "0.001"),
        (4862596447618666293, "1.2345678901234568e+17"),
        (9097811302482466869, "1.5e+300"),
        (1, "5e-324"),
        (9218868437227405311, "1.7976931348623157e+308"),
        (4503599627370496, "2.2250738585072014e-308"),
        (4591870180066957722, "0.1"),
        (4599075939470750516, "0.30000000000000004"),
        (4599676419421066581, "0.3333333333333333"),
        (13836183955189006336, "-2.5"),
        (4636737291354636288, "100.0"),
        (4936209963552724370, "1e+22"),
        (4921056587992461136, "1e+21"),
        (4845873199050653696, "9007199254740992.0"),
        (4832797072101665536, "1234567890123456.0"),
        (4847542438873900484, "1.2345678901234568e+16"),
        (4548686525128629352, "0.00012345"),
        (4608488462691954852, "1.29"),
        (4603489467105573601, "0.59"),
        (4745319450920072313, "1795922023.3703902"),
        (4464640349921820037, "3.14159e-10"),
        (4541544291699740396, "4.35e-05"),
        (17485029721327973432, "-1.989032661366619e+244"),
        (7283207964119141687, "7.761117632285041e+178"),
        (890727360438182992, "3.980498358697587e-249"),
        (15149836622520594227, "-1.5432835417340557e+88"),
        (1736392818365009963, "1.3647584518757569e-192"),
        (10750541312280087032, "-1.3701135617873088e-206"),
        (16781078052021535861, "-1.7160537630466207e+197"),
        (3960482443532127989, "6.294675241195386e-44"),
        (1585446675937841368, "1.0613447212142254e-202"),
        (7713914763314685786, "4.708325160387546e+207"),
        (4439448776366754703, "6.387016158513563e-12"),
        (10165027665383847897, "-9.973130378568733e-246"),
        (1090396360377453094, "8.779753225680271e-236"),
        (10430779633273967791, "-5.795503248498993e-228"),
        (17477362246067780643, "-5.988180159386011e+243"),
        (11632994891556335705, "-1.306052388527796e-147"),
        (10754394637803157173, "-2.436117699484841e-206"),
        (1141153371300629929, "2.233386999150174e-232"),
        (10801332806156616911, "-3.51527970626667e-203"),
        (914761360679426580, "1.5987381841032883e-247"),
        (4078239883182463692, "4.6678633181812096e-36"),
        (10268654918125279152, "-8.441872792105456e-239"),
        (2456641775679608523, "1.9015657400796622e-144"),
        (7731750658069747094, "7.370437700706684e+208"),
        (9973894190648387236, "-1.7163996725272777e-258"),
        (10531498782278263232, "-3.2367190832119987e-221"),
        (10334922596725336632, "-2.2818334634712625e-234"),
        (12580729232405932079, "-3.0536383926309363e-84"),
        (1901042282212365707, "1.3449551894627777e-181"),
        (10536861175493410705, "-7.317495976062606e-221"),
        (3465608723044488519, "5.249822308814304e-77"),
        (1797276903956378115, "1.5450754142984396e-188"),
        (13136125050165459753, "-3.953625698224792e-47"),
        (10410757471710933047, "-2.72491267476498e-229"),
        (11418711589407294900, "-6.505141861548772e-162"),
        (9157231070389319135, "1.441484839555994e+304"),
        (9808507260218814804, "-1.4583679262758548e-269"),
        (14337340360533389438, "-7.939416668807721e+33"),
        (8588838448975835887, "1.4255183989699612e+266"),
        (17034486841352872401, "-1.525315701232403e+214"),
        (13904542740383090328, "-93631.24725844932"),
        (13913995602920494446, "-400466.0062726353"),
        (4693304613075696480, "588758.9630449824"),
        (4690581009144952224, "397988.8674591426"),
        (13915908426259136768, "-511806.9785556942"),
        (4684354371263672888, "148847.42051734193"),
        (4677158775813202656, "50393.00762290298"),
        (4694692025192651224, "750274.9911468579"),
        (4691627292580217392, "458890.5788784353"),
        (13914402052236198142, "-424124.4702196269"),
        (4696496553158056046, "960349.6949851641"),
        (13918180828913934743, "-763868.4434900758"),
        (13908238606536260556, "-163754.35642954556"),
        (4692578907528882124, "514281.8591304987"),
        (13917598109116003558, "-696030.9306789904"),
        (13895168850491333248, "-22073.799048388842"),
        (13919535607992323703, "-921585.4859051247"),
        (4689523465285186680, "336431.71306879027"),
        (4692792504964120030, "529141.7324256261"),
        (4684258317241961560, "146051.88055476802"),
    ]

    @Test("floats serialize like Python repr")
    func floatRepr() {
        for (bits, expected) in Self.floats {
            let d = Double(bitPattern: bits)
            #expect(PythonFloat.repr(d) == expected, "bits \(bits)")
            #expect(JSONValue.double(d).serializedString() == expected)
            // And they parse back to the same double.
            #expect((try? JSONValue.parse(expected)) == .double(d), "\(expected)")
        }
    }

    @Test("non-finite floats use Python's tokens and parse back")
    func nonFinite() throws {
        #expect(JSONValue.array([.double(.nan), .double(.infinity), .double(-.infinity)]).serializedString() == "[NaN, Infinity, -Infinity]")
        let back = try JSONValue.parse("[NaN, Infinity, -Infinity]")
        #expect(back[0]?.doubleValue?.isNaN == true)
        #expect(back[1] == .double(.infinity))
        #expect(back[2] == .double(-.infinity))
        #expect(PythonFloat.repr(.nan) == "nan")
    }

    static let strings: [(String, String)] = [
        ("plain", "\"plain\""),
        ("quote\u{22}back\u{5c}slash", "\"quote\\\"back\\\\slash\""),
        ("nl\u{a}cr\u{d}tab\u{9}bs\u{8}ff\u{c}", "\"nl\\ncr\\rtab\\tbs\\bff\\f\""),
        ("\u{0}\u{1}\u{1f}\u{7f}", "\"\\u0000\\u0001\\u001f\\u007f\""),
        ("h\u{e9}llo \u{2713}", "\"h\\u00e9llo \\u2713\""),
        ("emoji \u{1f600} and \u{1d11e}", "\"emoji \\ud83d\\ude00 and \\ud834\\udd1e\""),
        ("\u{2028}\u{2029}", "\"\\u2028\\u2029\""),
        ("/slash", "\"/slash\""),
        ("\u{43a}\u{43b}\u{44e}\u{447}", "\"\\u043a\\u043b\\u044e\\u0447\""),
        ("\u{4e2d}\u{6587}", "\"\\u4e2d\\u6587\""),
        ("\u{feff} bom", "\"\\ufeff bom\""),
        ("a\u{85}b", "\"a\\u0085b\""),
    ]

    @Test("strings serialize with ensure_ascii like json.dumps")
    func stringEscapes() throws {
        for (value, expected) in Self.strings {
            #expect(JSONValue.string(value).serializedString() == expected)
            #expect(try JSONValue.parse(expected) == .string(value))
        }
    }

    @Test("separators, nesting and key order match json.dumps")
    func layout() throws {
        let text = #"{"b": 1, "a": [true, false, null, 1.5, -7, "x"], "c": {}, "d": [], "e": {"z": {"y": []}}}"#
        let v = try JSONValue.parse(text)
        #expect(v.serializedString() == text)
        #expect(v.objectValue?.keys == ["b", "a", "c", "d", "e"])
    }

    @Test("whitespace in input is accepted, output is canonical")
    func whitespace() throws {
        let v = try JSONValue.parse(" {\n \"a\" :\t[ 1 ,2 ] }\r\n")
        #expect(v.serializedString() == #"{"a": [1, 2]}"#)
    }

    @Test("integers: Int64 range stays int, larger becomes double")
    func integers() throws {
        #expect(try JSONValue.parse("9223372036854775807") == .int(Int64.max))
        #expect(try JSONValue.parse("-9223372036854775808") == .int(Int64.min))
        #expect(try JSONValue.parse("9223372036854775808") == .double(9223372036854775808.0))
        #expect(try JSONValue.parse("-0") == .int(0))
        #expect(try JSONValue.parse("1.0") == .double(1.0))
        #expect(try JSONValue.parse("1e2") == .double(100))
        #expect(try JSONValue.parse("123456789012345678901234567890") == .double(1.2345678901234568e29))
        #expect(JSONValue.int(Int64.min).serializedString() == "-9223372036854775808")
        #expect(JSONValue.int(0).serializedString() == "0")
        #expect(JSONValue.int(-42).serializedString() == "-42")
    }

    @Test("escapes: surrogate pairs, lone surrogates, slash")
    func escapes() throws {
        #expect(try JSONValue.parse(#""\ud83d\ude00""#) == .string("\u{1F600}"))
        #expect(try JSONValue.parse(#""a\ud800b""#) == .string("a\u{FFFD}b"))
        #expect(try JSONValue.parse(#""\udc00""#) == .string("\u{FFFD}"))
        #expect(try JSONValue.parse(#""\ud800\u0041""#) == .string("\u{FFFD}A"))
        #expect(try JSONValue.parse(#""\/\"\\\b\f\n\r\t""#) == .string("/\"\\\u{8}\u{C}\n\r\t"))
        #expect(try JSONValue.parse(#""\u00E9""#) == .string("é"))
    }

    @Test("duplicate keys: last value wins, first position kept (like a Python dict)")
    func duplicates() throws {
        let v = try JSONValue.parse(#"{"a": 1, "b": 2, "a": 3}"#)
        #expect(v.serializedString() == #"{"a": 3, "b": 2}"#)
        var big = "{"
        for i in 0..<40 { big += "\"k\(i)\": \(i), " }
        big += #""k5": "again"}"#
        let parsed = try JSONValue.parse(big)
        #expect(parsed.objectValue?.count == 40)
        #expect(parsed["k5"] == "again")
        #expect(parsed.objectValue?.keys[5] == "k5")
        // The same key spelt with an escape, and different keys the duplicate filter hashes alike
        // (same length, first and last byte).
        #expect(try JSONValue.parse(#"{"a": 1, "\u0061": 2, "b\u0063": 3, "bc": 4}"#).serializedString() == #"{"a": 2, "bc": 4}"#)
        #expect(try JSONValue.parse(#"{"axb": 1, "ayb": 2, "azb": 3, "axb": 4}"#).serializedString() == #"{"axb": 4, "ayb": 2, "azb": 3}"#)
    }

    @Test("rejects what Python's json rejects", arguments: [
        "01", "1.", ".5", "+1", "1e", "--1", "[1,]", "{\"a\":1,}", "{'a': 1}", "[1 2]", "tru", "nul", "\"abc",
        "{\"a\" 1}", "{1: 2}", "Infinit", "-", "\"\\x\"", "\"\\u12G4\"", "[", "{", "]", "nan",
    ])
    func rejects(_ text: String) {
        #expect(throws: WireError.self) { try JSONValue.parse(text) }
    }

    @Test("nesting limit")
    func depth() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSONValue.parse(ok) }
        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(throws: WireError.self) { try JSONValue.parse(tooDeep) }
        do { _ = try JSONValue.parse(tooDeep) } catch { #expect(error.code == .tooDeep) }
    }

    @Test("JSONObject: set replaces in place, insert, remove")
    func objectEditing() {
        var o: JSONObject = ["a": 1, "b": 2, "c": 3]
        o["b"] = "two"
        #expect(o.keys == ["a", "b", "c"])
        o["d"] = 4
        #expect(o.keys == ["a", "b", "c", "d"])
        o["a"] = nil
        #expect(o.keys == ["b", "c", "d"])
        o.insert(true, forKey: "z", at: 1)
        #expect(o.keys == ["b", "z", "c", "d"])
        #expect(o.removeValue(forKey: "c") == 3)
        #expect(o.removeValue(forKey: "missing") == nil)
        #expect(JSONValue.object(o).serializedString() == #"{"b": "two", "z": true, "d": 4}"#)
    }

    @Test("isEquivalent ignores key order and int/float spelling; == does not")
    func equivalence() throws {
        let a = try JSONValue.parse(#"{"x": 1, "y": [1.0, {"p": null, "q": "s"}]}"#)
        let b = try JSONValue.parse(#"{"y": [1, {"q": "s", "p": null}], "x": 1.0}"#)
        #expect(a.isEquivalent(to: b))
        #expect(a != b)
        let c = try JSONValue.parse(#"{"y": [1, {"q": "t", "p": null}], "x": 1.0}"#)
        #expect(!a.isEquivalent(to: c))
        #expect(!JSONValue.bool(true).isEquivalent(to: .int(1)))
    }

    @Test("safe accessors never trap")
    func accessors() {
        let v: JSONValue = ["a": [1, 2]]
        #expect(v["a"]?[1] == 2)
        #expect(v["a"]?[2] == nil)
        #expect(v["a"]?[-1] == nil)
        #expect(v["zz"] == nil)
        #expect(v[0] == nil)
        #expect(JSONValue.int(3).doubleValue == 3)
    }
}

/// The string scan tests eight bytes at a time before it looks at single bytes: whatever sits at
/// any offset of a word (the end, an escape, a control character, non-ASCII, invalid UTF-8) must
/// be found as the byte loop alone would find it.
@Suite("JSON strings: what the word-at-a-time scan must not miss")
struct JSONStringScanTests {
    private func parse(_ bytes: [UInt8]) -> Result<JSONValue, WireError> {
        Result { () throws(WireError) -> JSONValue in try JSONValue.parse(bytes) }
    }

    @Test("each special byte at every offset of the first three words")
    func specialBytesAtEveryOffset() {
        for offset in 0..<24 {
            let lead = [UInt8](repeating: UInt8(ascii: "a"), count: offset)
            let tail = [UInt8](repeating: UInt8(ascii: "b"), count: 11)
            let text = String(decoding: lead, as: UTF8.self)
            let quoted = { (middle: [UInt8]) in [UInt8(ascii: "\"")] + lead + middle + tail + [UInt8(ascii: "\"")] }
            let bs = String(decoding: tail, as: UTF8.self)
            #expect(parse([0x22] + lead + [0x22]) == .success(.string(text)), "end at \(offset)")
            #expect(parse(quoted(Array(#"\n"#.utf8))) == .success(.string(text + "\n" + bs)), "escape at \(offset)")
            #expect(parse(quoted(Array(#"\""#.utf8))) == .success(.string(text + "\"" + bs)), "escaped quote at \(offset)")
            #expect(parse(quoted(Array("é".utf8))) == .success(.string(text + "é" + bs)), "non-ASCII at \(offset)")
            #expect(parse(quoted([0x7F])) == .success(.string(text + "\u{7F}" + bs)), "DEL at \(offset)")
            for control: UInt8 in [0x00, 0x09, 0x1F] {
                guard case .failure(let error) = parse(quoted([control])) else {
                    Issue.record("control 0x\(String(control, radix: 16)) at \(offset) accepted")
                    continue
                }
                #expect(error.reason.contains("raw control character") && error.reason.contains("at byte \(offset + 1)"),
                        "\(error.reason)")
            }
            guard case .failure(let invalid) = parse(quoted([0xFF])) else {
                Issue.record("invalid UTF-8 at \(offset) accepted")
                continue
            }
            #expect(invalid.reason.contains("invalid UTF-8"), "\(invalid.reason)")
            #expect(parse([0x22] + lead + tail) .isFailure, "unterminated at \(offset)")
        }
    }
}

private extension Result {
    var isFailure: Bool { if case .failure = self { true } else { false } }
}
