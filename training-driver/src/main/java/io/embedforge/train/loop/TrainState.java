package io.embedforge.train.loop;

/**
 * Where training stands: what a checkpoint records besides the weights and optimizer moments.
 *
 * @param stage 1 or 2
 * @param stageStep optimizer updates done in this stage
 * @param globalStep updates over both stages
 * @param lastBatchIndex {@code batch_index} of the last trained batch ({@code Long.MIN_VALUE} if
 *     none): the data position
 * @param stageComplete whether the stage has finished
 * @param seed dropout seed; the seed of update {@code n} is derived from {@code (seed, n)}, so this
 *     plus {@code globalStep} is the whole RNG state
 */
public record TrainState(
        int stage,
        long stageStep,
        long globalStep,
        long lastBatchIndex,
        boolean stageComplete,
        long seed) {

    /** Before any training. */
    public static TrainState fresh(long seed) {
        return new TrainState(1, 0, 0, Long.MIN_VALUE, false, seed);
    }
}
