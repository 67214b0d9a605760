package io.embedforge.train.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.embedforge.train.data.ContractParquet;
import io.embedforge.train.data.StageReader;
import io.embedforge.train.data.TrainingBatch;
import io.embedforge.train.data.TrainingExample;
import io.embedforge.train.loss.ContrastiveBatch;
import io.embedforge.train.loss.GradCache;
import io.embedforge.train.loss.InfoNce;
import io.embedforge.train.loss.TinyModels;
import io.embedforge.train.loss.Trainables;
import io.embedforge.train.model.MistralConfig;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Not a test (no {@code Test} suffix): a main run from the test classpath that measures the
 * GradCache overhead against the plain full-batch step on the tiny model, and the Parquet reader's
 * time per example. Usage: {@code TrainingLoopBenchmark [examples] [chunk] [steps]}.
 */
public final class TrainingLoopBenchmark {

    private TrainingLoopBenchmark() {}

    public static void main(String[] args) throws Exception {
        int examples = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int chunk = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        List<TrainingExample> ex = new ArrayList<>();
        for (int i = 0; i < examples; i++) {
            List<String> negs = new ArrayList<>();
            for (int n = 0; n < 7; n++) {
                negs.add(
                        "a passage about subject "
                                + (i * 7 + n)
                                + " that is related but does not answer the question at all, sadly");
            }
            ex.add(
                    new TrainingExample(
                            "e" + i,
                            "",
                            "Given a question, retrieve passages that answer it",
                            "what do we know about subject number " + i + " in the collection?",
                            "subject "
                                    + i
                                    + " is described in this passage which answers the question in detail",
                            negs,
                            true,
                            0));
        }
        ContrastiveBatch cb = ContrastiveBatch.of(new TrainingBatch(0, ex));
        try (NDManager m = NDManager.newBaseManager();
                NvEmbedTokenizer tok = NvEmbedTokenizer.e5(MistralConfig.tiny(), 64)) {
            NvEmbedModel model = TinyModels.tiny(m, 0.1, 1);
            List<Parameter> params = Trainables.of(model);
            GradCache gc = new GradCache(model, tok, chunk, InfoNce.DEFAULT_TEMPERATURE);
            double[] plain = new double[2];
            double[] cached = new double[2];
            for (int s = 0; s <= steps; s++) {
                for (int mode = 0; mode < 2; mode++) {
                    Trainables.zeroGradients(params);
                    long t0 = System.nanoTime();
                    try (NDManager sub = m.newSubManager()) {
                        if (mode == 0) {
                            gc.plainStep(sub, cb, s);
                        } else {
                            gc.step(sub, cb, s);
                        }
                    }
                    double secs = (System.nanoTime() - t0) / 1e9;
                    if (s > 0) {
                        (mode == 0 ? plain : cached)[0] += secs;
                    }
                }
            }
            System.out.printf(
                    Locale.ROOT,
                    "examples=%d sequences=%d chunk=%d steps=%d plain_s_per_step=%.3f gradcache_s_per_step=%.3f ratio=%.2f%n",
                    examples,
                    cb.sequences().size(),
                    chunk,
                    steps,
                    plain[0] / steps,
                    cached[0] / steps,
                    cached[0] / plain[0]);
            double stepPerExample = cached[0] / steps / examples;
            Path dir = Files.createTempDirectory("bench-stage");
            ContractParquet.writeStage(dir, 1, 40, 128, 4);
            long t0 = System.nanoTime();
            long rows = 0;
            try (StageReader r = new StageReader(dir, Long.MIN_VALUE)) {
                while (r.hasNext()) {
                    TrainingBatch b = r.next();
                    ContrastiveBatch.of(b);
                    rows += b.examples().size();
                }
            }
            double readPerExample = (System.nanoTime() - t0) / 1e9 / rows;
            System.out.printf(
                    Locale.ROOT,
                    "reader: %d rows, %.1f us/example (read + layout); step %.1f ms/example; loader share %.2f%%%n",
                    rows,
                    readPerExample * 1e6,
                    stepPerExample * 1e3,
                    100 * readPerExample / (readPerExample + stepPerExample));
        }
    }
}
