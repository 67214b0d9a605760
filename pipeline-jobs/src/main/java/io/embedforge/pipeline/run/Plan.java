package io.embedforge.pipeline.run;

import io.embedforge.pipeline.stage.StageId;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * What a command will do with each stage, and why: computed before Spark starts (settings bound,
 * inputs listed, committed markers read), printed by {@code --dry-run} and at the start of every
 * run, then executed as is.
 *
 * @param out the output root
 * @param selection the selected stages
 * @param steps one step per stage of the registry, in order
 */
public record Plan(String out, Selection selection, List<Step> steps) {

    /** What happens to a stage. */
    public enum Action {
        /** It runs (and commits). */
        RUN,
        /** Its committed output is up to date. */
        SKIP,
        /** Not selected: a selected stage reads its committed output, if any. */
        NOT_SELECTED;

        String label() {
            return switch (this) {
                case RUN -> "run";
                case SKIP -> "skip";
                case NOT_SELECTED -> "-";
            };
        }
    }

    /**
     * One stage of the plan.
     *
     * @param stage the stage
     * @param action what happens to it
     * @param reason why, in a few words
     * @param fingerprint the fingerprint its output has once committed; null when not selected, or
     *     when a stage it reads runs first (then it is known once that stage committed)
     * @param own the hash of what the stage itself reads (settings, raw files, profile values);
     *     with the output digests of the stages it reads it makes the fingerprint (null when not
     *     selected)
     * @param committed its committed marker (null when there is none)
     * @param bound the stage with its bound settings (null when not selected)
     * @param files the listing of the raw files it reads (null when none)
     */
    public record Step(
            StageId stage,
            Action action,
            String reason,
            String fingerprint,
            String own,
            StageRunner.Committed committed,
            Stages.Bound<?> bound,
            List<InputListing.FileEntry> files) {
        /** Whether it runs. */
        public boolean runs() {
            return action == Action.RUN;
        }

        /** The output digest of its committed output, or null when there is none. */
        public String output() {
            return committed == null ? null : committed.output();
        }
    }

    /** Whether any stage runs. */
    public boolean runsAny() {
        return steps.stream().anyMatch(Step::runs);
    }

    /** The step of {@code stage}. */
    public Step step(StageId stage) {
        return steps.get(stage.ordinal());
    }

    /** Prints the plan: one line per stage with its action and reason. */
    public void print(PrintStream log) {
        log.printf(Locale.ROOT, "plan for %s (%s):%n", out, selection.describe());
        for (Step s : steps) {
            log.printf(Locale.ROOT, "  %-16s %-5s %s%n", s.stage(), s.action().label(), s.reason());
        }
    }
}
