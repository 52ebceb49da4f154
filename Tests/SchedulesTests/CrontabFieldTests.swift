import Testing
@testable import Schedules

/// Crontab fields expand as Celery 5's `crontab_parser` expands them (its docstring's examples,
/// wrap-around ranges, names), and what it cannot read is refused naming the field and why.
struct CrontabFieldTests {
    func values(_ spec: String, _ kind: CrontabField.Kind) throws -> [Int] { try CrontabField(spec, kind: kind).values }

    @Test func celerysOwnExamplesExpandTheSame() throws {
        #expect(try values("*/15", .minute) == [0, 15, 30, 45])
        #expect(try values("*/4", .hour) == [0, 4, 8, 12, 16, 20])
        #expect(try values("*", .dayOfWeek) == [0, 1, 2, 3, 4, 5, 6])
        #expect(try values("*/3", .dayOfMonth) == [1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31])
        #expect(try values("*/2", .monthOfYear) == [1, 3, 5, 7, 9, 11])
        #expect(try values("2-12/2", .monthOfYear) == [2, 4, 6, 8, 10, 12])
    }

    @Test func listsRangesStepsAndNamesCombine() throws {
        #expect(try values("0,30", .minute) == [0, 30])
        #expect(try values("9-17", .hour) == Array(9...17))
        #expect(try values("1-10/3,45", .minute) == [1, 4, 7, 10, 45])
        #expect(try values("mon-fri", .dayOfWeek) == [1, 2, 3, 4, 5])
        #expect(try values("Saturday,sun", .dayOfWeek) == [0, 6])
        #expect(try values("jan,JUL-sep", .monthOfYear) == [1, 7, 8, 9])
        // A range that ends before it starts wraps past the field's end (celery's _expand_range).
        #expect(try values("fri-mon", .dayOfWeek) == [0, 1, 5, 6])
        #expect(try values("22-2", .hour) == [0, 1, 2, 22, 23])
        // The step keeps every n-th value of the expansion, wrap included.
        #expect(try values("22-2/2", .hour) == [0, 2, 22])
        #expect(try values("5", .minute) == [5])
    }

    @Test func badFieldsAreRefusedNamingTheFieldAndWhy() {
        func reason(_ spec: String, _ kind: CrontabField.Kind) -> String {
            do { _ = try CrontabField(spec, kind: kind); return "accepted" } catch { return error.description }
        }
        #expect(reason("60", .minute) == "minute \"60\": 60 is past 59, the field's last value")
        #expect(reason("0", .dayOfMonth) == "day_of_month \"0\": 0 is below 1, the field's first value")
        #expect(reason("*/0", .minute) == "minute \"*/0\": \"*/0\": a step of 0 matches nothing; use 1 or more")
        #expect(reason("*/", .minute).contains("empty step"))
        #expect(reason("1,,2", .hour).contains("an empty part"))
        #expect(reason("-5", .minute).contains("negative numbers"))
        #expect(reason("*/5-3", .minute).contains("the step \"5-3\" is not a whole number"))
        #expect(reason("5/2", .minute).contains("a step needs * or a range"))
        #expect(reason("funday", .dayOfWeek).contains("\"funday\" is not a number, a weekday (sun…sat) or a month (jan…dec)"))
        #expect(reason("13", .monthOfYear).contains("13 is past 12"))
    }
}
