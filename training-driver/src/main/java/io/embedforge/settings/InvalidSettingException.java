package io.embedforge.settings;

/**
 * A setting whose value is not allowed, thrown by {@link Check} when a settings record is built.
 * The message is {@code <key>=<value> <rule>}, e.g. {@code stages.mine-dense.range_max=5 must be >
 * range_min=10}. A binder that knows where the record sits in a larger document (a profile's {@code
 * stages.mine-dense.encoder}) rebuilds the message under that path with {@link #under(String)}.
 */
public final class InvalidSettingException extends IllegalArgumentException implements UserError {
    private static final long serialVersionUID = 1L;

    private final String prefix;
    private final String key;
    private final transient Object value;
    private final String rule;

    public InvalidSettingException(String prefix, String key, Object value, String rule) {
        super(join(prefix, key) + "=" + value + " " + rule);
        this.prefix = prefix;
        this.key = key;
        this.value = value;
        this.rule = rule;
    }

    /** The key relative to the record that checked it, e.g. {@code max_length}. */
    public String localKey() {
        return key;
    }

    /** The full key as the record named it, e.g. {@code encoder.max_length}. */
    public String key() {
        return join(prefix, key);
    }

    /** The offending value. */
    public Object value() {
        return value;
    }

    /** What is allowed, e.g. {@code must be in [2, 32768]}. */
    public String rule() {
        return rule;
    }

    /**
     * The same error with its local key under {@code path} (e.g. {@code
     * stages.mine-dense.encoder}).
     */
    public InvalidSettingException under(String path) {
        InvalidSettingException e = new InvalidSettingException(path, key, value, rule);
        e.initCause(this);
        return e;
    }

    static String join(String prefix, String key) {
        return prefix == null || prefix.isEmpty() ? key : prefix + "." + key;
    }
}
