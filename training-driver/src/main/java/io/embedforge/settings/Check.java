package io.embedforge.settings;

import java.util.Collection;
import java.util.List;

/**
 * The one checker of settings records: each check names the full key, the value and what is
 * allowed, and fails with an {@link InvalidSettingException}, e.g. {@code
 * stages.mine-dense.negatives=0 must be in [1, 1000]}. A record checks its values in its compact
 * constructor with the key constants it binds, so a record built in code and one bound from YAML
 * fail the same way.
 *
 * <pre>{@code
 * private static final Check CHECK = Check.under("stages.mine-bm25");
 * public Bm25Params {
 *     CHECK.inRange(NUM_SHARDS, numShards, 1, 4096);
 * }
 * }</pre>
 */
public final class Check {
    private final String prefix;

    private Check(String prefix) {
        this.prefix = prefix;
    }

    /** Checks of keys under {@code prefix} (e.g. {@code stages.blend}; empty: top level). */
    public static Check under(String prefix) {
        return new Check(prefix);
    }

    /** The full name of {@code key}. */
    public String key(String key) {
        return InvalidSettingException.join(prefix, key);
    }

    /** Fails with {@code <key>=<value> <rule>} unless {@code ok}. */
    public void that(boolean ok, String key, Object value, String rule) {
        if (!ok) {
            throw new InvalidSettingException(prefix, key, value, rule);
        }
    }

    /** {@code value} in {@code [min, max]}. */
    public long inRange(String key, long value, long min, long max) {
        that(value >= min && value <= max, key, value, "must be in [" + min + ", " + max + "]");
        return value;
    }

    /** {@code value} in {@code [min, max]} (so also finite). */
    public double inRange(String key, double value, double min, double max) {
        that(
                value >= min && value <= max,
                key,
                value,
                "must be in [" + number(min) + ", " + number(max) + "]");
        return value;
    }

    /** {@code value >= min}. */
    public long atLeast(String key, long value, long min) {
        that(value >= min, key, value, "must be >= " + min);
        return value;
    }

    /** {@code value} is one of {@code allowed}. */
    public <T> T oneOf(String key, T value, Collection<T> allowed) {
        that(value != null && allowed.contains(value), key, value, "must be one of " + allowed);
        return value;
    }

    /** A non-empty list, copied. */
    public List<String> notEmpty(String key, List<String> value, String what) {
        that(value != null && !value.isEmpty(), key, value, "must name at least one " + what);
        return List.copyOf(value);
    }

    /** A bound as a user writes it: {@code 5}, not {@code 5.0}. */
    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15
                ? Long.toString((long) v)
                : Double.toString(v);
    }
}
