package dev.pbkv.tester.engine;

import java.util.LinkedHashMap;
import java.util.Map;

/** The values of {@code ${i}} and {@code ${worker}} where a statement runs. Immutable. */
record Bindings(Map<String, String> values) {
    static final Bindings NONE = new Bindings(Map.of());

    Bindings with(String name, long value) {
        Map<String, String> copy = new LinkedHashMap<>(values);
        copy.put(name, Long.toString(value));
        return new Bindings(copy);
    }

    /** "worker 2, i=7", or "" outside blocks: where a failure happened. */
    String describe() {
        StringBuilder out = new StringBuilder();
        String worker = values.get("worker");
        if (worker != null) {
            out.append("worker ").append(worker);
        }
        String i = values.get("i");
        if (i != null && !i.equals(worker)) {
            if (out.length() > 0) {
                out.append(", ");
            }
            out.append("i=").append(i);
        }
        return out.toString();
    }
}
