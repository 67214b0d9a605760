package io.embedforge.pipeline.stage;

import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * A count of a stage's work in its own unit (texts encoded, queries searched), kept in a named
 * Spark accumulator the executor code adds to as it goes. The progress listener reads the updates
 * from Spark's task-end events, so the count costs no Spark job; its name also tells the listener
 * which step the Spark stage that updates it belongs to. The name is {@code
 * embedforge:<step>:<unit>}.
 */
public final class StepCounter {
    /** Prefix of every such accumulator's name. */
    static final String PREFIX = "embedforge:";

    private StepCounter() {}

    /** What an accumulator name says: its step and unit. */
    public record Label(String step, String unit) {}

    /** Registers a counter of {@code unit} for the step {@code step} on the driver. */
    public static LongAccumulator register(SparkContext sc, String step, String unit) {
        return sc.longAccumulator(PREFIX + step + ":" + unit);
    }

    /** The step and unit of an accumulator name, or null when it is not a step counter. */
    public static Label parse(String name) {
        if (name == null || !name.startsWith(PREFIX)) {
            return null;
        }
        String rest = name.substring(PREFIX.length());
        int colon = rest.lastIndexOf(':');
        if (colon <= 0 || colon == rest.length() - 1) {
            return null;
        }
        return new Label(rest.substring(0, colon), rest.substring(colon + 1));
    }
}
