package io.embedforge.pipeline.config;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Format options of one input with typed accessors. Values are what YAML gave (strings, booleans,
 * numbers, lists of strings); keys were checked against the format when the config was loaded.
 */
public final class Options implements Serializable {
    private static final long serialVersionUID = 1L;

    private final LinkedHashMap<String, Object> values;

    public Options(Map<String, Object> values) {
        this.values = new LinkedHashMap<>(values);
    }

    public static Options empty() {
        return new Options(Map.of());
    }

    public boolean has(String key) {
        return values.containsKey(key) && values.get(key) != null;
    }

    public String string(String key, String defaultValue) {
        Object v = values.get(key);
        return v == null ? defaultValue : v.toString();
    }

    public boolean bool(String key, boolean defaultValue) {
        Object v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        return Boolean.parseBoolean(v.toString());
    }

    public double number(String key, double defaultValue) {
        Object v = values.get(key);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        return Double.parseDouble(v.toString());
    }

    public List<String> strings(String key) {
        Object v = values.get(key);
        List<String> out = new ArrayList<>();
        if (v instanceof List<?> list) {
            for (Object o : list) {
                out.add(String.valueOf(o));
            }
        } else if (v != null) {
            out.add(v.toString());
        }
        return out;
    }

    /** A copy as a plain map, for the manifest. */
    @com.fasterxml.jackson.annotation.JsonValue
    public Map<String, Object> asMap() {
        return new LinkedHashMap<>(values);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Options other && values.equals(other.values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
