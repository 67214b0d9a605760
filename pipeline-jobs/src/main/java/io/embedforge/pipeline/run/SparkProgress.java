package io.embedforge.pipeline.run;

import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.pipeline.stage.StepCounter;
import io.embedforge.progress.ProgressJson;
import io.embedforge.progress.ProgressMeter;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Where the running pipeline stage is, read from Spark's listener events only (no Spark job of its
 * own): the Spark stages of the jobs in the stage's job group ({@link StageRunner} sets it), their
 * tasks done and total, and the {@link StepCounter} accumulators their tasks updated. The step is
 * the one of the Spark stage submitted last: named by the counter its tasks update (e.g. {@code
 * encoding}), else by {@link StageContext#step} when its job was submitted. Done and total are the
 * counter's units when the step has one (its total extrapolated from the share of tasks done until
 * its Spark stages finish), else tasks. Skipped Spark stages leave the totals when their job ends.
 * While no job of the stage runs, the step is {@link #DRIVER}. Listener events and readings come
 * from different threads: every method is synchronized.
 */
public final class SparkProgress extends SparkListener {
    /** The step of jobs submitted before a stage names one. */
    static final String NO_STEP = "spark jobs";

    /**
     * The step while none of the stage's Spark jobs runs (the driver lists files, plans, writes the
     * manifest): done counts every task the stage has run, the total is unknown.
     */
    static final String DRIVER = "driver";

    /** One Spark stage of the running pipeline stage. */
    private static final class SparkStage {
        String step;
        String unit;
        final int tasks;
        int done;
        long counted;
        boolean submitted;
        boolean finished;

        SparkStage(String step, int tasks) {
            this.step = step;
            this.tasks = tasks;
        }
    }

    private final Map<Integer, SparkStage> stages = new HashMap<>();
    private final Map<Integer, List<Integer>> jobs = new HashMap<>();
    private final ProgressJson json;
    private final InstantSource clock;
    private StageId current;
    private int index;
    private int count;
    private String step = NO_STEP;

    /**
     * @param json where the {@code started}/{@code finished} lines go, or null
     * @param clock the time of those lines
     */
    public SparkProgress(ProgressJson json, InstantSource clock) {
        this.json = json;
        this.clock = clock;
    }

    /** Stage {@code index} of {@code count} starts: earlier Spark stages are forgotten. */
    public synchronized void begin(StageId stage, int index, int count) {
        current = stage;
        this.index = index;
        this.count = count;
        step = NO_STEP;
        stages.clear();
        jobs.clear();
        if (json != null) {
            json.milestone(clock.instant(), stage.id(), index, count, ProgressJson.STARTED);
        }
    }

    /** The stage begun last has finished (or was skipped: {@code ok}) or failed. */
    public synchronized void end(boolean ok) {
        if (json != null && current != null) {
            json.milestone(
                    clock.instant(),
                    current.id(),
                    index,
                    count,
                    ok ? ProgressJson.FINISHED : ProgressJson.FAILED);
        }
        current = null;
    }

    /** Where the running stage is now, or null between stages. */
    public synchronized ProgressMeter.Reading reading() {
        if (current == null) {
            return null;
        }
        if (jobs.isEmpty()) {
            long tasks = stages.values().stream().mapToLong(s -> s.done).sum();
            return new ProgressMeter.Reading(
                    current.id(), index, count, DRIVER, tasks, -1, false, "tasks");
        }
        long done = 0;
        long total = 0;
        long counted = 0;
        long estimate = 0;
        String unit = null;
        boolean estimated = false;
        for (SparkStage s : stages.values()) {
            if (!s.step.equals(step)) {
                continue;
            }
            done += s.done;
            total += s.tasks;
            if (s.unit != null) {
                unit = s.unit;
                counted += s.counted;
                boolean exact = s.finished || s.done >= s.tasks;
                estimated |= !exact;
                estimate =
                        estimate < 0 || (!exact && s.done == 0)
                                ? -1
                                : estimate + (exact ? s.counted : s.counted * s.tasks / s.done);
            }
        }
        if (unit != null) {
            return new ProgressMeter.Reading(
                    current.id(), index, count, step, counted, estimate, estimated, unit);
        }
        return new ProgressMeter.Reading(
                current.id(), index, count, step, done, total, false, "tasks");
    }

    @Override
    public synchronized void onJobStart(SparkListenerJobStart e) {
        if (!ours(e.properties())) {
            return;
        }
        String named = e.properties().getProperty(StageContext.STEP_PROPERTY);
        String jobStep = named == null ? NO_STEP : named;
        List<Integer> ids = new ArrayList<>();
        for (StageInfo info : CollectionConverters.asJava(e.stageInfos())) {
            stages.putIfAbsent(info.stageId(), new SparkStage(jobStep, info.numTasks()));
            ids.add(info.stageId());
        }
        jobs.put(e.jobId(), ids);
    }

    @Override
    public synchronized void onStageSubmitted(SparkListenerStageSubmitted e) {
        SparkStage s = stages.get(e.stageInfo().stageId());
        if (s != null) {
            s.submitted = true;
            step = s.step;
        }
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd e) {
        SparkStage s = stages.get(e.stageId());
        if (s == null || e.taskInfo() == null || !e.taskInfo().successful()) {
            return;
        }
        s.done++;
        for (AccumulableInfo a : CollectionConverters.asJava(e.taskInfo().accumulables())) {
            StepCounter.Label label =
                    StepCounter.parse(a.name().isDefined() ? a.name().get() : null);
            if (label != null && a.update().isDefined()) {
                s.step = label.step();
                s.unit = label.unit();
                s.counted += ((Number) a.update().get()).longValue();
                step = label.step();
            }
        }
    }

    @Override
    public synchronized void onStageCompleted(SparkListenerStageCompleted e) {
        SparkStage s = stages.get(e.stageInfo().stageId());
        if (s != null) {
            s.finished = true;
        }
    }

    @Override
    public synchronized void onJobEnd(SparkListenerJobEnd e) {
        List<Integer> ids = jobs.remove(e.jobId());
        if (ids != null) {
            for (Integer id : ids) {
                SparkStage s = stages.get(id);
                if (s != null && !s.submitted) {
                    stages.remove(id);
                }
            }
        }
    }

    /** Whether a job belongs to the running stage: its job group is the stage's id. */
    private boolean ours(Properties p) {
        return current != null
                && p != null
                && current.id().equals(p.getProperty("spark.jobGroup.id"));
    }
}
