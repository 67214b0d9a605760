package io.embedforge.train.loop;

/** Linear warm-up to the peak, then linear decay to zero at the last step of the stage. */
public final class LrSchedule {

    private LrSchedule() {}

    /**
     * Learning rate of update {@code step} (0-based) of a stage.
     *
     * @param peak peak rate
     * @param warmup warm-up steps
     * @param total steps in the stage
     */
    public static double at(double peak, int warmup, long total, long step) {
        if (warmup > 0 && step < warmup) {
            return peak * (step + 1) / warmup;
        }
        long decay = total - Math.max(warmup, 0);
        if (decay <= 0) {
            return peak;
        }
        return peak * Math.max(0.0, (double) (total - step) / decay);
    }
}
