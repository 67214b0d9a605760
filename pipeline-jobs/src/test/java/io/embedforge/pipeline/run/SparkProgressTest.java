package io.embedforge.pipeline.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.embedforge.pipeline.SparkTestBase;
import io.embedforge.pipeline.stage.StageContext;
import io.embedforge.pipeline.stage.StageId;
import io.embedforge.pipeline.stage.StepCounter;
import io.embedforge.progress.ProgressJson;
import io.embedforge.progress.ProgressMeter.Reading;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;
import org.apache.spark.SparkContext;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.util.LongAccumulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the progress listener reads from real Spark jobs: tasks of the running stage's job group
 * under the step named when the job was submitted, a step counter's units instead of tasks, other
 * groups ignored; and the started/finished/failed lines of the progress file.
 */
class SparkProgressTest extends SparkTestBase {
    private static final List<Integer> TEN = IntStream.range(0, 10).boxed().toList();

    /** Holds the last task of a job until the test has read the progress. */
    private static volatile CountDownLatch hold = new CountDownLatch(0);

    @Test
    void readsTheRunningStagesTasksAndCountersFromListenerEventsOnly(@TempDir Path dir)
            throws Exception {
        SparkContext sc = spark().sparkContext();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
        Path file = dir.resolve("p.jsonl");
        ProgressJson json = new ProgressJson(file);
        InstantSource clock = InstantSource.fixed(Instant.parse("2026-12-07T12:00:00Z"));
        SparkProgress progress = new SparkProgress(json, clock);
        sc.addSparkListener(progress);
        try {
            assertNull(progress.reading());
            progress.begin(StageId.MINE_DENSE, 2, 3);
            assertEquals(reading("driver", 0, -1, false, "tasks"), progress.reading());
            sc.setJobGroup(StageId.MINE_DENSE.id(), "test", false);
            sc.setLocalProperty(StageContext.STEP_PROPERTY, "writing examples");
            hold = new CountDownLatch(1);
            JavaFutureAction<Long> job =
                    jsc.parallelize(TEN, 4).mapPartitions(holdLast(4)).countAsync();
            awaitReading(progress, reading("writing examples", 3, 4, false, "tasks"));
            hold.countDown();
            job.get();
            drain(sc);
            assertEquals(reading("driver", 4, -1, false, "tasks"), progress.reading());

            LongAccumulator texts = StepCounter.register(sc, "encoding", "texts");
            hold = new CountDownLatch(1);
            JavaFutureAction<Void> encoding =
                    jsc.parallelize(TEN, 5)
                            .mapPartitions(holdLast(5))
                            .foreachAsync(x -> texts.add(2));
            // 4 of 5 tasks added 4 texts each: 16 done, about 20 in all
            awaitReading(progress, reading("encoding", 16, 20, true, "texts"));
            hold.countDown();
            encoding.get();
            drain(sc);

            sc.clearJobGroup();
            hold = new CountDownLatch(1);
            JavaFutureAction<Long> other =
                    jsc.parallelize(TEN, 2).mapPartitions(holdLast(2)).countAsync();
            while (sc.statusTracker().getActiveJobIds().length == 0) {
                Thread.sleep(50);
            }
            drain(sc); // the other group's job start has reached the listener, and is ignored
            assertEquals(reading("driver", 9, -1, false, "tasks"), progress.reading());
            hold.countDown();
            other.get();
            progress.end(true);
            assertNull(progress.reading());
            progress.begin(StageId.BLEND, 3, 3);
            progress.end(false);
        } finally {
            hold.countDown();
            sc.removeSparkListener(progress);
            sc.clearJobGroup();
            sc.setLocalProperty(StageContext.STEP_PROPERTY, null);
            json.close();
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(4, lines.size(), lines.toString());
        assertEquals(
                List.of(
                        "mine-dense 2 started",
                        "mine-dense 2 finished",
                        "blend 3 started",
                        "blend 3 failed"),
                lines.stream()
                        .map(
                                l ->
                                        l.replaceAll(
                                                ".*\"stage\":\"([^\"]+)\",\"stage_index\":(\\d+).*\"step\":\"([a-z]+)\".*",
                                                "$1 $2 $3"))
                        .toList());
    }

    /** Passes a partition through; the last of {@code partitions} waits for {@link #hold}. */
    private static FlatMapFunction<Iterator<Integer>, Integer> holdLast(int partitions) {
        return it -> {
            if (TaskContext.getPartitionId() == partitions - 1) {
                hold.await();
            }
            return it;
        };
    }

    /** Waits until the listener has seen the events that make {@code expected}. */
    private static void awaitReading(SparkProgress progress, Reading expected) throws Exception {
        for (int i = 0; i < 600 && !expected.equals(progress.reading()); i++) {
            Thread.sleep(100);
        }
        assertEquals(expected, progress.reading());
    }

    @Test
    void onlyAccumulatorsNamedAsStepCountersNameASteps() {
        assertEquals(
                new StepCounter.Label("encoding", "texts"),
                StepCounter.parse("embedforge:encoding:texts"));
        assertEquals(
                new StepCounter.Label("writing a:b", "rows"),
                StepCounter.parse("embedforge:writing a:b:rows"));
        assertNull(StepCounter.parse("number of output rows"));
        assertNull(StepCounter.parse("embedforge:encoding"));
        assertNull(StepCounter.parse("embedforge:encoding:"));
        assertNull(StepCounter.parse(null));
    }

    private static Reading reading(String step, long done, long total, boolean est, String unit) {
        return new Reading("mine-dense", 2, 3, step, done, total, est, unit);
    }

    private static void drain(SparkContext sc) throws Exception {
        sc.listenerBus().waitUntilEmpty();
    }
}
