package dev.pbkv.tester.engine;

import dev.pbkv.tester.driver.FailureCode;
import dev.pbkv.tester.driver.OpResult;
import dev.pbkv.tester.script.Expectation;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** Whether an operation's result is what the file expected. */
final class Expectations {
    private Expectations() {}

    static boolean matches(Expectation e, OpResult r, Function<String, String> lookup) {
        if (e instanceof Expectation.Ok) {
            return r.isSuccess();
        } else if (e instanceof Expectation.Fail) {
            return !r.isSuccess();
        } else if (e instanceof Expectation.Any) {
            return true;
        } else if (e instanceof Expectation.Missing) {
            return r instanceof OpResult.Missing || isFailure(r, FailureCode.NOT_FOUND);
        } else if (e instanceof Expectation.Code c) {
            return isFailure(r, c.code()) || (c.code().equals(FailureCode.NOT_FOUND) && r instanceof OpResult.Missing);
        } else if (e instanceof Expectation.Value v) {
            return r instanceof OpResult.Value got
                    && got.value().equals(v.value().render(lookup));
        } else if (e instanceof Expectation.Count c) {
            return r instanceof OpResult.Count got && got.count() == c.count();
        } else if (e instanceof Expectation.Flag f) {
            return r instanceof OpResult.Flag got && got.present() == f.present();
        } else if (e instanceof Expectation.Entries entries) {
            return r instanceof OpResult.Dump got && got.entries().equals(render(entries, lookup));
        } else if (e instanceof Expectation.NoDeadline) {
            return r instanceof OpResult.Ttl t && t.millis() < 0;
        } else if (e instanceof Expectation.TtlAtMost max) {
            return r instanceof OpResult.Ttl t
                    && t.millis() >= 0
                    && t.millis() <= max.max().toMillis();
        }
        throw new IllegalStateException("unknown expectation " + e);
    }

    /** The expectation as it reads in a failure message, with its placeholders filled in. */
    static String describe(Expectation e, Function<String, String> lookup) {
        if (e instanceof Expectation.Value v) {
            return "\"" + v.value().render(lookup) + "\"";
        }
        if (e instanceof Expectation.Entries entries) {
            return new OpResult.Dump(render(entries, lookup)).describe();
        }
        return e.describe();
    }

    private static Map<String, String> render(Expectation.Entries entries, Function<String, String> lookup) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Expectation.Pair p : entries.pairs()) {
            out.put(p.key().render(lookup), p.value().render(lookup));
        }
        return out;
    }

    private static boolean isFailure(OpResult r, String code) {
        return r instanceof OpResult.Failed f && f.code().equals(code);
    }
}
