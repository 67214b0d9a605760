package io.embedforge.pipeline.common;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Immutable copies of maps and sets that iterate in key order.
 *
 * <p>{@code Map.copyOf} and {@code Set.copyOf} iterate in an order salted per JVM: config maps
 * copied that way made the columns of a Parquet reject's raw excerpt, and the key order of
 * manifests, differ between the driver of one run and the next (caught by the local-cluster test,
 * whose two runs have different drivers). Config and stage parameters use these copies instead, so
 * the same inputs give the same rows in any JVM.
 */
public final class Ordered {

    private Ordered() {}

    /** An unmodifiable copy iterating in ascending key order; null keys or values are refused. */
    public static <K extends Comparable<? super K>, V> Map<K, V> map(Map<K, V> source) {
        TreeMap<K, V> copy = new TreeMap<>();
        source.forEach(
                (k, v) -> {
                    if (k == null || v == null) {
                        throw new NullPointerException("null key or value for key " + k);
                    }
                    copy.put(k, v);
                });
        return Collections.unmodifiableMap(copy);
    }

    /** An unmodifiable copy iterating in ascending order; null elements are refused. */
    public static <E extends Comparable<? super E>> Set<E> set(Set<E> source) {
        TreeSet<E> copy = new TreeSet<>();
        for (E e : source) {
            if (e == null) {
                throw new NullPointerException("null element");
            }
            copy.add(e);
        }
        return Collections.unmodifiableSet(copy);
    }
}
