package io.embedforge.train.eval;

import static java.util.Objects.requireNonNullElse;

/**
 * MTEB's protocol for a classification or clustering set. The defaults are MTEB's: classification
 * repeats {@code n_experiments = 10} fits, each on {@code samples_per_label = 8} training texts per
 * label drawn after a seeded shuffle (MTEB's {@code _undersample_data}), with {@code
 * LogisticRegression(max_iter=100)}; clustering averages V-measure over {@code n_experiments}
 * seeded k-means runs. The shuffles use a seeded hash, not numpy's generator, so the samples are
 * other draws of the same kind than MTEB's.
 *
 * @param nExperiments repetitions (classification fits, clustering runs), &gt;= 1, default 10
 * @param samplesPerLabel classification: training texts per label in each fit, &gt;= 1, default 8
 * @param maxIter classification: L-BFGS iterations at most, &gt;= 1, default 100
 * @param maxRows rows scored (classification: test texts; clustering: items), a seeded sample in
 *     file order; 0 = all (default)
 * @param fitShare classification without a {@code train} file: this seeded share of the test file
 *     is the training pool and the rest is scored, in (0, 1); 0 = unused (default)
 * @param seed seed of every draw, default 42
 */
public record Protocol(
        Integer nExperiments,
        Integer samplesPerLabel,
        Integer maxIter,
        Integer maxRows,
        Double fitShare,
        Long seed) {

    /** Fills the defaults. */
    public Protocol {
        nExperiments = requireNonNullElse(nExperiments, 10);
        samplesPerLabel = requireNonNullElse(samplesPerLabel, 8);
        maxIter = requireNonNullElse(maxIter, 100);
        maxRows = requireNonNullElse(maxRows, 0);
        fitShare = requireNonNullElse(fitShare, 0.0);
        seed = requireNonNullElse(seed, 42L);
    }

    /** Every value at its default. */
    public static Protocol defaults() {
        return new Protocol(null, null, null, null, null, null);
    }

    /** A copy with another row cap (tests, quick runs). */
    public Protocol withMaxRows(int rows) {
        return new Protocol(nExperiments, samplesPerLabel, maxIter, rows, fitShare, seed);
    }

    /**
     * Checks the values.
     *
     * @throws IllegalArgumentException naming the key, the value and the allowed range
     */
    void check(String at) {
        atLeast(nExperiments, 1, at + ".n_experiments");
        atLeast(samplesPerLabel, 1, at + ".samples_per_label");
        atLeast(maxIter, 1, at + ".max_iter");
        atLeast(maxRows, 0, at + ".max_rows");
        if (!(fitShare == 0 || fitShare > 0 && fitShare < 1)) {
            throw new IllegalArgumentException(
                    at + ".fit_share=" + fitShare + " must be in (0, 1), or 0 for none");
        }
    }

    private static void atLeast(int value, int min, String key) {
        if (value < min) {
            throw new IllegalArgumentException(key + "=" + value + " must be >= " + min);
        }
    }
}
