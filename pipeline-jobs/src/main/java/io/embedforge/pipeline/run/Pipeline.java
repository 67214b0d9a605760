package io.embedforge.pipeline.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.embedforge.pipeline.config.ConfigException;
import io.embedforge.pipeline.config.PipelineConfig;
import io.embedforge.pipeline.manifest.ManifestWriter;
import io.embedforge.pipeline.schema.StageResult;
import io.embedforge.pipeline.stage.Settings;
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
 * binds each selected stage's settings, lists its raw inputs, computes its fingerprint and runs the
 * {@link Stage#check} of every stage that will run (inputs exist, headers parse) before Spark
 * starts; {@link #execute} runs the stages the plan runs, through the {@link StageRunner}
 * (temporary output, commit, manifest, marker).
 *
 * <p>A stage's fingerprint hashes only what it reads: its name, its own settings ({@code
 * stages.<name>}, with the seed when it has one), what {@link Stage#inputs} names (raw files by
 * content hash, the profile values it reads) and the {@link OutputDigest} of the committed output
 * of every stage it reads, so a changed upstream output re-runs it whatever made the change. A
 * selected stage runs when forced, when it has no committed output, when its fingerprint changed,
 * or when a stage it reads runs in this plan (its fingerprint is then computed once that stage
 * committed; an identical upstream output lets the runner skip it after all); otherwise it is
 * skipped. A selected stage whose input stage is neither selected nor committed stops the plan with
 * a message naming both. Driver only.
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
     * Binds the settings of every selected stage: an unknown stage under {@code stages:}, a bad key
     * or value fails here, before Spark, with a {@link ConfigException} naming the profile and the
     * key.
     */
    public Map<StageId, Stages.Bound<?>> bind(Selection selection) {
        Settings.checkStageNames(config);
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
        StageRunner.Committed committed = StageRunner.committed(hadoop, out, id.folder());
        if (!selection.contains(id)) {
            String why =
                    committed == null
                            ? "not selected; no committed output"
                            : "not selected; committed output kept";
            return new Plan.Step(
                    id, Plan.Action.NOT_SELECTED, why, null, null, committed, null, null);
        }
        Own own = own(hadoop, id, bound);
        StageId upstreamRuns = upstreamRuns(id, before);
        String fingerprint = upstreamRuns == null ? chain(own.hash(), id, outputs(before)) : null;
        Plan.Action action = Plan.Action.RUN;
        String reason;
        if (force) {
            reason = "--force";
        } else if (committed == null) {
            reason = "no committed output";
        } else if (upstreamRuns != null) {
            reason = "reads " + upstreamRuns + ", which runs first";
        } else if (!fingerprint.equals(committed.fingerprint())) {
            reason = "settings or inputs changed";
        } else {
            action = Plan.Action.SKIP;
            reason = "output and inputs unchanged (" + fingerprint.substring(0, 12) + ")";
        }
        if (action == Plan.Action.RUN) {
            bound.check(config, hadoop);
        }
        return new Plan.Step(
                id, action, reason, fingerprint, own.hash(), committed, bound, own.files());
    }

    /**
     * The first stage {@code id} reads that runs in this plan, or null; fails when a stage it reads
     * neither runs nor has a committed output.
     */
    private StageId upstreamRuns(StageId id, List<Plan.Step> before) {
        StageId runs = null;
        for (StageId up : id.reads()) {
            Plan.Step u = before.get(up.ordinal());
            if (!u.runs() && u.output() == null) {
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
            if (u.runs() && runs == null) {
                runs = up;
            }
        }
        return runs;
    }

    /** The committed output digest of every stage planned so far (null where none). */
    private static Map<StageId, String> outputs(List<Plan.Step> steps) {
        Map<StageId, String> outputs = new EnumMap<>(StageId.class);
        for (Plan.Step s : steps) {
            if (s.output() != null) {
                outputs.put(s.stage(), s.output());
            }
        }
        return outputs;
    }

    /** The hash of what a stage itself reads, and the raw files behind it. */
    private record Own(String hash, List<InputListing.FileEntry> files) {}

    /**
     * What a stage itself reads: its name, its settings (its own {@code stages.<name>} block,
     * defaults filled, the seed in it when it has one), the profile values {@link Stage#inputs}
     * names and its raw files by path, size and content hash (never by modification time).
     */
    private Own own(Configuration hadoop, StageId id, Stages.Bound<?> bound) {
        List<String> parts = new ArrayList<>();
        parts.add(id.id());
        parts.add(json(bound.params()));
        Stage.Inputs inputs = bound.inputs(config);
        if (inputs.profile() != null) {
            parts.add(json(inputs.profile()));
        }
        List<InputListing.FileEntry> files = null;
        if (!inputs.files().isEmpty()) {
            files = InputListing.list(hadoop, inputs.files(), true);
            parts.addAll(InputListing.identities(files));
        }
        return new Own(StageRunner.hash(parts), files);
    }

    /**
     * A stage's fingerprint: its own hash and the output digest of every stage it reads, so a
     * changed upstream output re-runs it and an identical one does not.
     */
    private static String chain(String own, StageId id, Map<StageId, String> outputs) {
        List<String> parts = new ArrayList<>();
        parts.add(own);
        for (StageId up : id.reads()) {
            parts.add(up + "=" + outputs.get(up));
        }
        return StageRunner.hash(parts);
    }

    /**
     * Runs every stage {@code plan} runs, in order; returns what happened to each stage. A stage
     * reading one that ran gets its fingerprint from that stage's new output digest; when the
     * output came out identical and the stage's committed output has that fingerprint, the runner
     * skips it.
     */
    public List<StageRunner.Outcome> execute(SparkSession spark, Plan plan) {
        return execute(spark, plan, null);
    }

    /**
     * {@link #execute(SparkSession, Plan)}, telling {@code progress} (null: nobody) which stage of
     * how many runs.
     */
    public List<StageRunner.Outcome> execute(
            SparkSession spark, Plan plan, SparkProgress progress) {
        StageRunner runner = new StageRunner(spark, config, out, force, log);
        Map<StageId, String> outputs = outputs(plan.steps());
        List<StageRunner.Outcome> done = new ArrayList<>();
        int count = (int) plan.steps().stream().filter(Plan.Step::runs).count();
        int index = 0;
        for (Plan.Step step : plan.steps()) {
            switch (step.action()) {
                case NOT_SELECTED -> {}
                case SKIP -> {
                    log.printf(Locale.ROOT, "== %-16s skipped: %s%n", step.stage(), step.reason());
                    done.add(
                            new StageRunner.Outcome(
                                    step.stage().id(), true, step.fingerprint(), step.output(), 0));
                }
                case RUN -> {
                    String fp =
                            step.fingerprint() != null
                                    ? step.fingerprint()
                                    : chain(step.own(), step.stage(), outputs);
                    if (progress != null) {
                        progress.begin(step.stage(), ++index, count);
                    }
                    StageRunner.Outcome o = null;
                    try {
                        o = run(spark, runner, step, fp, outputs);
                    } finally {
                        if (progress != null) {
                            progress.end(o != null);
                        }
                    }
                    outputs.put(step.stage(), o.output());
                    done.add(o);
                }
            }
        }
        return done;
    }

    private StageRunner.Outcome run(
            SparkSession spark,
            StageRunner runner,
            Plan.Step step,
            String fingerprint,
            Map<StageId, String> outputs) {
        StageId id = step.stage();
        spark.sparkContext().setLocalProperty(StageContext.STEP_PROPERTY, null);
        StageRunner.Outcome o =
                runner.run(
                        id.id(),
                        id.folder(),
                        fingerprint,
                        step.bound().params(),
                        manifestInputs(spark.sparkContext().hadoopConfiguration(), step, outputs),
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
    private Map<String, Object> manifestInputs(
            Configuration hadoop, Plan.Step step, Map<StageId, String> outputs) {
        Map<String, Object> inputs = new LinkedHashMap<>();
        for (StageId up : step.stage().reads()) {
            String path = StageContext.join(out, up.folder());
            Map<String, Object> in = new LinkedHashMap<>();
            in.put("path", path);
            in.put("fingerprint", StageRunner.committedFingerprint(hadoop, out, up.folder()));
            in.put("output_digest", outputs.get(up));
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
