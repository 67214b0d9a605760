package io.embedforge.train.loop;

import io.embedforge.train.data.StageReader;
import io.embedforge.train.data.TrainingBatch;
import io.embedforge.train.loss.ContrastiveBatch;
import io.embedforge.train.loss.GradCache;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the trainer's steps come from. {@link #streamed} reads the blend's Parquet as it trains
 * ({@code train}: one batch in memory at a time); {@link #shared} reads and tokenises the batches a
 * step budget needs once, so every variant of an ablation trains on identical inputs without
 * reading or tokenising them again.
 */
public interface StageBatches {

    /** The prepared batches of a stage after a resume point, in {@code batch_index} order. */
    interface Cursor extends AutoCloseable {
        /** Whether another batch follows. */
        boolean hasNext();

        /** The next batch. */
        StepBatch next() throws IOException;

        @Override
        void close() throws IOException;
    }

    /** How many batches the stage has (before the config's step cap). */
    long count(int stage) throws IOException;

    /** The batches of {@code stage} with index above {@code skipThroughBatch}. */
    Cursor open(int stage, long skipThroughBatch) throws IOException;

    /** The blend's {@code stage1/} and {@code stage2/}, read while training. */
    static StageBatches streamed(Path blendDir, TrainConfig config, NvEmbedTokenizer tokenizer) {
        return new StageBatches() {
            @Override
            public long count(int stage) throws IOException {
                return StageReader.countBatches(blendDir.resolve("stage" + stage));
            }

            @Override
            public Cursor open(int stage, long skipThroughBatch) throws IOException {
                StageReader r =
                        new StageReader(blendDir.resolve("stage" + stage), skipThroughBatch);
                return new Cursor() {
                    @Override
                    public boolean hasNext() {
                        return r.hasNext();
                    }

                    @Override
                    public StepBatch next() {
                        long t0 = System.nanoTime();
                        return prepare(r.next(), config, tokenizer, t0);
                    }

                    @Override
                    public void close() throws IOException {
                        r.close();
                    }
                };
            }
        };
    }

    /**
     * The first {@code stage<N>_max_steps} batches of each stage, read and tokenised now and kept
     * (the step budget bounds the memory: an ablation must set both caps).
     *
     * @throws IllegalArgumentException if a stage has no step cap
     */
    static StageBatches shared(Path blendDir, TrainConfig config, NvEmbedTokenizer tokenizer)
            throws IOException {
        List<List<StepBatch>> stages = new ArrayList<>();
        long[] counts = new long[2];
        for (int stage = 1; stage <= 2; stage++) {
            long cap = config.maxSteps(stage);
            if (cap <= 0) {
                throw new IllegalArgumentException(
                        "stage" + stage + "_max_steps=" + cap + ": shared batches need a step cap");
            }
            Path dir = blendDir.resolve("stage" + stage);
            counts[stage - 1] = StageReader.countBatches(dir);
            List<StepBatch> kept = new ArrayList<>();
            try (StageReader r = new StageReader(dir, Long.MIN_VALUE)) {
                while (r.hasNext() && kept.size() < cap) {
                    long t0 = System.nanoTime();
                    kept.add(prepare(r.next(), config, tokenizer, t0));
                }
            }
            stages.add(List.copyOf(kept));
        }
        return new StageBatches() {
            @Override
            public long count(int stage) {
                return counts[stage - 1];
            }

            @Override
            public Cursor open(int stage, long skipThroughBatch) {
                List<StepBatch> left =
                        stages.get(stage - 1).stream()
                                .filter(b -> b.batch().batchIndex() > skipThroughBatch)
                                .toList();
                return new Cursor() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < left.size();
                    }

                    /** The kept batch; its data time is 0, it was read and tokenised once. */
                    @Override
                    public StepBatch next() {
                        StepBatch b = left.get(next++);
                        return new StepBatch(b.batch(), b.contrastive(), b.chunks(), 0);
                    }

                    @Override
                    public void close() {}
                };
            }
        };
    }

    /** Cuts the negatives to the config's budget, lays out the loss and tokenises the chunks. */
    static StepBatch prepare(
            TrainingBatch read, TrainConfig config, NvEmbedTokenizer tokenizer, long startNanos) {
        TrainingBatch batch = read.withMaxNegatives(config.maxNegatives());
        ContrastiveBatch cb = ContrastiveBatch.of(batch);
        return new StepBatch(
                batch,
                cb,
                GradCache.tokenize(tokenizer, cb, config.chunkSize()),
                (System.nanoTime() - startNanos) / 1e9);
    }
}
