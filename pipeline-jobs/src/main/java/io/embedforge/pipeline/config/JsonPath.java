package io.embedforge.pipeline.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The small path language of JSON field selectors and record paths: {@code a.b}, {@code a[0]},
 * {@code [1]} (top-level arrays), {@code a[]} (every element: record paths) and {@code ^} (the
 * enclosing record of a nested record, e.g. a SQuAD question's {@code ^.context}). Small enough to
 * read at a glance, enough for the published layouts of the recipe's datasets.
 */
public final class JsonPath implements Serializable {
    private static final long serialVersionUID = 1L;

    private sealed interface Step extends Serializable permits Parent, Field, Index, Each {}

    private record Parent() implements Step {}

    private record Field(String name) implements Step {}

    private record Index(int index) implements Step {}

    private record Each() implements Step {}

    private final String text;
    private final List<Step> steps;

    private JsonPath(String text, List<Step> steps) {
        this.text = text;
        this.steps = List.copyOf(steps);
    }

    /** Parses a path; throws IllegalArgumentException saying what is wrong. */
    public static JsonPath parse(String path) {
        List<Step> steps = new ArrayList<>();
        if (path.isEmpty()) {
            return new JsonPath(path, steps);
        }
        int i = 0;
        while (i < path.length()) {
            char c = path.charAt(i);
            if (c == '.') {
                if (i == 0 || i == path.length() - 1) {
                    throw new IllegalArgumentException("a path like a.b[0] (misplaced '.')");
                }
                i++;
                continue;
            }
            if (c == '^') {
                if (steps.stream().anyMatch(s -> !(s instanceof Parent))) {
                    throw new IllegalArgumentException(
                            "'^' only at the start of a path, like ^.context");
                }
                steps.add(new Parent());
                i++;
            } else if (c == '[') {
                int close = path.indexOf(']', i);
                if (close < 0) {
                    throw new IllegalArgumentException("a path like a[0] (unclosed '[')");
                }
                String inside = path.substring(i + 1, close);
                if (inside.isEmpty()) {
                    steps.add(new Each());
                } else {
                    try {
                        steps.add(new Index(Integer.parseInt(inside)));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(
                                "a path like a[0] ('" + inside + "' is not an index)");
                    }
                }
                i = close + 1;
            } else {
                int end = i;
                while (end < path.length() && path.charAt(end) != '.' && path.charAt(end) != '[') {
                    end++;
                }
                steps.add(new Field(path.substring(i, end)));
                i = end;
            }
        }
        return new JsonPath(path, steps);
    }

    /**
     * Values of this path for a record. {@code chain} holds the enclosing records, outermost first,
     * the record itself last. Missing values give an empty list; {@code []} may give several.
     */
    public List<JsonNode> select(List<JsonNode> chain) {
        int level = chain.size() - 1;
        int first = 0;
        while (first < steps.size() && steps.get(first) instanceof Parent) {
            level--;
            first++;
        }
        List<JsonNode> out = new ArrayList<>();
        if (level < 0) {
            return out;
        }
        walk(chain.get(level), first, (node, ignored) -> out.add(node), new ArrayList<>());
        return out;
    }

    /**
     * Every record a record path names inside a document, with its chain of enclosing records (the
     * elements visited at each {@code []}), outermost first and the record last.
     */
    public void forEachRecord(JsonNode document, BiConsumer<JsonNode, List<JsonNode>> action) {
        List<JsonNode> chain = new ArrayList<>();
        chain.add(document);
        walk(document, 0, action, chain);
    }

    private void walk(
            JsonNode node,
            int step,
            BiConsumer<JsonNode, List<JsonNode>> action,
            List<JsonNode> chain) {
        if (node == null || node.isMissingNode()) {
            return;
        }
        if (step == steps.size()) {
            List<JsonNode> full = new ArrayList<>(chain);
            if (full.isEmpty() || full.get(full.size() - 1) != node) {
                full.add(node);
            }
            action.accept(node, full);
            return;
        }
        Step s = steps.get(step);
        if (s instanceof Field f) {
            walk(node.isObject() ? node.get(f.name()) : null, step + 1, action, chain);
        } else if (s instanceof Index idx) {
            walk(node.isArray() ? node.get(idx.index()) : null, step + 1, action, chain);
        } else if (s instanceof Each) {
            if (!node.isArray()) {
                return;
            }
            for (JsonNode element : node) {
                chain.add(element);
                walk(element, step + 1, action, chain);
                chain.remove(chain.size() - 1);
            }
        }
    }

    /** Whether the path starts (after any {@code ^}) with an index, i.e. expects an array. */
    public boolean startsWithIndex() {
        for (Step s : steps) {
            if (!(s instanceof Parent)) {
                return s instanceof Index;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return text;
    }
}
