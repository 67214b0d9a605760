package io.embedforge.pipeline.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.manifest.ManifestWriter;
import io.embedforge.pipeline.schema.StageResult;
import io.embedforge.pipeline.stage.Stage;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * Runs the stages of the registry ({@link StageId}) in order, as a {@link Plan}: {@link #plan}
 * binds each selected stage's settings, lists its raw inputs and computes its fingerprint before
 * Spark starts; {@link #execute} runs the stages the plan runs, through the {@link StageRunner}
 * (temporary output, commit, manifest, marker).
 *
 * <p>A stage's fingerprint hashes its name, the seed, its settings, what {@link Stage#inputs} names
 * (raw files listed with content hashes, profile values) and the fingerprints of the stages it
 * reads, as they will be once this plan ran. A selected stage runs when forced, when it has no
 * committed output, when its fingerprint changed, or when a stage it reads runs in this plan;
 * otherwise it is skipped. A selected stage whose input stage is neither selected nor committed
 * stops the plan with a message naming both. Driver only.
 */
public final class Pipeline {
    private final PipelineConfig config;
    private final String out;
    private final boolean force;
    private final PrintStream log;

    public Pipeline(PipelineConfig config, String out, boolean force, PrintStream log) {
        this.config = config;
        this.out = out;
        this.force = force;
        this.log = log;
    }

    /**
     * Binds the settings of every selected stage: a bad key or value fails here, before Spark, with
     * a {@link ConfigException} naming the profile and the key.
     */
    public Map<StageId, Stages.Bound<?>> bind(Selection selection) {
        Map<StageId, Stages.Bound<?>> bound = new EnumMap<>(StageId.class);
        for (StageId id : selection.stages()) {
            bound.put(id, Stages.bind(id, config));
        }
        return bound;
    }

    /** The plan of {@code selection} against the committed outputs under the output root. */
    public Plan plan(Configuration hadoop, Selection selection) {
        Map<StageId, Stages.Bound<?>> bound = bind(selection);
        List<Plan.Step> steps = new ArrayList<>();
        for (StageId id : StageId.values()) {
            steps.add(step(hadoop, id, selection, bound.get(id), steps));
        }
        return new Plan(out, selection, steps);
    }

    private Plan.Step step(
            Configuration hadoop,
            StageId id,
            Selection selection,
            Stages.Bound<?> bound,
            List<Plan.Step> before) {
        String committed = StageRunner.committedFingerprint(hadoop, out, id.folder());
        if (!selection.contains(id)) {
            String why =
                    committed == null
                            ? "not selected; no committed output"
                            : "not selected; committed output kept";
            return new Plan.Step(id, Plan.Action.NOT_SELECTED, why, committed, null, null);
        }
        Fingerprint fp = fingerprint(hadoop, id, bound, before);
        Plan.Action action = Plan.Action.RUN;
        String reason;
        if (force) {
            reason = "--force";
        } else if (committed == null) {
            reason = "no committed output";
        } else if (fp.upstreamRuns() != null) {
            reason = "reads " + fp.upstreamRuns() + ", which runs first";
        } else if (!fp.value().equals(committed)) {
            reason = "settings or inputs changed";
        } else {
            action = Plan.Action.SKIP;
            reason = "output and inputs unchanged (" + fp.value().substring(0, 12) + ")";
        }
        return new Plan.Step(id, action, reason, fp.value(), bound, fp.files());
    }

    /** A planned fingerprint, the raw files behind it, and the first input stage that runs. */
    private record Fingerprint(
            String value, List<InputListing.FileEntry> files, StageId upstreamRuns) {}

    private Fingerprint fingerprint(
            Configuration hadoop, StageId id, Stages.Bound<?> bound, List<Plan.Step> before) {
        List<String> parts = new ArrayList<>();
        parts.add(id.id());
        parts.add(Long.toString(config.seed()));
        parts.add(json(bound.params()));
        StageId upstreamRuns = null;
        for (StageId up : id.reads()) {
            Plan.Step u = before.get(up.ordinal());
            if (u.fingerprint() == null) {
                throw new ConfigException(
                        "stage "
                                + id
                                + " needs the committed output of stage "
                                + up
                                + " at "
                                + StageContext.join(out, up.folder())
                                + " (none, or a run stopped before committing it): run `embedforge "
                                + up
                                + "` first, or select it too (e.g. --from "
                                + up
                                + ")");
            }
            if (u.runs() && upstreamRuns == null) {
                upstreamRuns = up;
            }
            parts.add(up + "=" + u.fingerprint());
        }
        Stage.Inputs inputs = bound.inputs(config);
        if (inputs.profile() != null) {
            parts.add(json(inputs.profile()));
        }
        List<InputListing.FileEntry> files = null;
        if (!inputs.files().isEmpty()) {
            files = InputListing.list(hadoop, inputs.files(), true);
            parts.add(json(files));
        }
        return new Fingerprint(StageRunner.hash(parts), files, upstreamRuns);
    }

    /** Runs every stage {@code plan} runs, in order; returns what happened to each stage. */
    public List<StageRunner.Outcome> execute(SparkSession spark, Plan plan) {
        StageRunner runner = new StageRunner(spark, config, out, force, log);
        List<StageRunner.Outcome> done = new ArrayList<>();
        for (Plan.Step step : plan.steps()) {
            switch (step.action()) {
                case NOT_SELECTED -> {}
                case SKIP -> {
                    log.printf(Locale.ROOT, "== %-16s skipped: %s%n", step.stage(), step.reason());
                    done.add(
                            new StageRunner.Outcome(
                                    step.stage().id(), true, step.fingerprint(), 0));
                }
                case RUN -> done.add(run(spark, runner, step));
            }
        }
        return done;
    }

    private StageRunner.Outcome run(SparkSession spark, StageRunner runner, Plan.Step step) {
        StageId id = step.stage();
        StageRunner.Outcome o =
                runner.run(
                        id.id(),
                        id.folder(),
                        step.fingerprint(),
                        step.bound().params(),
                        manifestInputs(spark.sparkContext().hadoopConfiguration(), step),
                        tmp -> {
                            StageContext ctx = new StageContext(spark, config, id, out, tmp, log);
                            StageResult result = step.bound().run(ctx);
                            checkTables(ctx);
                            return result;
                        });
        logRows(spark, id);
        return o;
    }

    /** The inputs section of a stage's manifest: its input stages' outputs and its raw files. */
    private Map<String, Object> manifestInputs(Configuration hadoop, Plan.Step step) {
        Map<String, Object> inputs = new LinkedHashMap<>();
        for (StageId up : step.stage().reads()) {
            String path = StageContext.join(out, up.folder());
            Map<String, Object> in = new LinkedHashMap<>();
            in.put("path", path);
            in.put("fingerprint", StageRunner.committedFingerprint(hadoop, out, up.folder()));
            in.putAll(InputListing.totals(InputListing.list(hadoop, List.of(path), false)));
            inputs.put(up.id(), in);
        }
        if (step.files() != null) {
            inputs.put("files", step.files());
            inputs.put("totals", InputListing.totals(step.files()));
        }
        return inputs;
    }

    /** Every table the registry says the stage commits must be there. */
    private static void checkTables(StageContext ctx) {
        for (String table : ctx.stage().tables()) {
            if (!ctx.exists(ctx.output(table))) {
                throw new IllegalStateException(
                        "stage "
                                + ctx.stage()
                                + " did not write its table "
                                + table
                                + " (StageId."
                                + ctx.stage().name()
                                + ".tables())");
            }
        }
    }

    /** Rows of every table the stage committed, read back from the Parquet metadata. */
    private void logRows(SparkSession spark, StageId id) {
        StringBuilder sb = new StringBuilder();
        for (String t : id.tables()) {
            String path = StageContext.join(out, id.folder(), t);
            if (exists(spark, path)) {
                sb.append(' ').append(t).append('=').append(spark.read().parquet(path).count());
            }
        }
        if (sb.length() > 0) {
            log.printf(Locale.ROOT, "   %-16s rows:%s%n", id, sb);
        }
    }

    private static boolean exists(SparkSession spark, String path) {
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            return fs.exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check " + path, e);
        }
    }

    private static String json(Object o) {
        try {
            return ManifestWriter.mapper().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + o, e);
        }
    }
}
