package io.embedforge.pipeline.run;

import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.stage.StageId;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Which stages a command runs: every stage, a list ({@code --stages a,b}), or a range of the graph
 * ({@code --from X}: X and every stage that reads its output, directly or not; {@code --until Y}: Y
 * and every stage whose output it needs; both: the stages between). Stages outside the selection
 * are not run; a selected stage reads their committed outputs.
 *
 * @param stages the selected stages
 * @param describe how it was chosen, for the plan (e.g. {@code --until blend})
 */
public record Selection(Set<StageId> stages, String describe) {
    public Selection {
        stages = Collections.unmodifiableSet(EnumSet.copyOf(stages));
    }

    /** Every stage. */
    public static Selection all() {
        return new Selection(EnumSet.allOf(StageId.class), "all stages");
    }

    /** Exactly these stages. */
    public static Selection of(List<StageId> stages) {
        if (stages.isEmpty()) {
            throw new ConfigException("--stages names no stage; stages: " + StageId.names());
        }
        return new Selection(EnumSet.copyOf(stages), "--stages " + join(stages));
    }

    /**
     * The stages from {@code from} (and downstream of it) until {@code until} (and upstream of it);
     * either may be null (no bound).
     */
    public static Selection range(StageId from, StageId until) {
        Set<StageId> s = EnumSet.allOf(StageId.class);
        StringBuilder why = new StringBuilder();
        if (from != null) {
            Set<StageId> down = EnumSet.of(from);
            down.addAll(from.downstream());
            s.retainAll(down);
            why.append("--from ").append(from);
        }
        if (until != null) {
            Set<StageId> up = EnumSet.of(until);
            for (StageId st : StageId.values()) {
                if (until.dependsOn(st)) {
                    up.add(st);
                }
            }
            s.retainAll(up);
            why.append(why.length() == 0 ? "" : " ").append("--until ").append(until);
        }
        if (s.isEmpty()) {
            throw new ConfigException(
                    "--from "
                            + from
                            + " --until "
                            + until
                            + " selects no stage: "
                            + until
                            + " does not read the output of "
                            + from);
        }
        return new Selection(s, why.length() == 0 ? "all stages" : why.toString());
    }

    /** Whether {@code stage} is selected. */
    public boolean contains(StageId stage) {
        return stages.contains(stage);
    }

    /** The stages a command of this selection may write (what it locks exclusively). */
    public List<String> writes() {
        return stages.stream().sorted().map(StageId::id).toList();
    }

    /** The stages it reads without writing them (what it locks shared). */
    public List<String> reads() {
        return stages.stream()
                .flatMap(s -> s.reads().stream())
                .filter(s -> !stages.contains(s))
                .distinct()
                .sorted()
                .map(StageId::id)
                .toList();
    }

    private static String join(List<StageId> stages) {
        return String.join(",", stages.stream().map(StageId::id).toList());
    }
}
