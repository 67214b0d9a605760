package io.embedforge.pipeline.config;

import io.embedforge.settings.BadInputException;

/**
 * A configuration that cannot be run. Raised on the driver before Spark starts; the message names
 * the file, the key, the offending value and what is allowed, so a user can fix it without reading
 * code.
 */
public final class ConfigException extends BadInputException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }

    /** "file: key 'k' = 'v' is not allowed; allowed: ..." */
    public static ConfigException badValue(String file, String key, Object value, String allowed) {
        return new ConfigException(
                file + ": key '" + key + "' = '" + value + "' is not allowed; allowed: " + allowed);
    }

    /** "file: missing required key 'k' (meaning)" */
    public static ConfigException missing(String file, String key, String meaning) {
        return new ConfigException(file + ": missing required key '" + key + "' (" + meaning + ")");
    }
}
