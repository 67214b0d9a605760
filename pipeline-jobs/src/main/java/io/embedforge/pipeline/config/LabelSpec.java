package io.embedforge.pipeline.config;

import io.embedforge.pipeline.common.Ordered;
import java.io.Serializable;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How a classification source's labels become the positive text of the recipe. When a map or a list
 * of allowed values is given, a label outside it is rejected ({@code unknown_label}) rather than
 * becoming a class of its own.
 *
 * @param map label to label text (empty when not given)
 * @param allowed allowed labels from {@code values_file} (empty when not given)
 * @param humanize derive the text from the label by turning {@code _} into spaces
 */
public record LabelSpec(Map<String, String> map, Set<String> allowed, boolean humanize)
        implements Serializable {
    public LabelSpec {
        map = Ordered.map(map);
        allowed = Ordered.set(allowed);
    }

    public static LabelSpec none() {
        return new LabelSpec(Map.of(), Set.of(), false);
    }

    /** Whether labels are checked against a closed set. */
    public boolean closed() {
        return !map.isEmpty() || !allowed.isEmpty();
    }

    /** Whether the label belongs to the closed set (always true for an open set). */
    public boolean knows(String label) {
        return !closed() || map.containsKey(label) || allowed.contains(label);
    }

    /** The label text of a known label. */
    public String textOf(String label) {
        String mapped = map.get(label);
        if (mapped != null) {
            return mapped;
        }
        return humanize ? label.replace('_', ' ').trim().toLowerCase(Locale.ROOT) : label;
    }
}
