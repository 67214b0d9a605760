package io.embedforge.train.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.encoder.EncoderConfig;
import io.embedforge.encoder.TextEncoder;
import io.embedforge.settings.InvalidFileException;
import io.embedforge.train.ModelVariant;
import io.embedforge.train.eval.E5Embedder;
import io.embedforge.train.eval.Embedder;
import io.embedforge.train.eval.EvalConfig;
import io.embedforge.train.eval.EvalSets;
import io.embedforge.train.eval.EvalSets.LoadedSet;
import io.embedforge.train.eval.Evaluator;
import io.embedforge.train.eval.NvEmbedEmbedder;
import io.embedforge.train.loop.Checkpoints;
import io.embedforge.train.loop.TrainConfig;
import io.embedforge.train.loop.Trainer;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code eval}: retrieval (nDCG@10, Recall@1/10/100), STS (Spearman), classification (accuracy,
 * macro F1) and clustering (V-measure) scores of the trained model (newest good checkpoint of
 * {@code --run}, or the one checkpoint folder {@code --checkpoint} names, so a run's earlier
 * checkpoints, e.g. budget points of one long run, can be scored), the untrained model of the same
 * training config (same seed) and the embedded E5-small-v2 baseline, on the sets of an eval YAML.
 * Prints a table and writes {@code eval.json} (sets with their counts and skipped records, scores,
 * timings) to {@code --out}. Runs on the driver only.
 *
 * <p>{@code --variants} evaluates the NV-Embed models under other attention masks and pooling heads
 * ({@link ModelVariant}): {@code untrained/causal-mean} is the base decoder as a user would use it
 * raw, {@code trained/bidirectional-mean} the trained LoRA without its latent head. The baselines
 * issue 16 asks for are one command, not a copy of this path.
 */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description =
                "Evaluate trained, untrained and E5 models on retrieval, STS, classification"
                        + " and clustering sets.")
public final class EvalCommand implements Callable<Integer> {

    /** Model label: newest good checkpoint of {@code --run}. */
    public static final String TRAINED = "trained";

    /** Model label: the model the training config builds, before training. */
    public static final String UNTRAINED = "untrained";

    /** Model label: the embedded E5-small-v2 encoder. */
    public static final String E5 = "e5";

    /** Metric names in eval.json and the table. */
    static final String SPEARMAN = "spearman";

    static final String NDCG10 = "ndcg@10";
    static final String ACCURACY = "accuracy";
    static final String F1 = "f1_macro";
    static final String V_MEASURE = "v_measure";
    static final String SECONDS = "seconds";

    /** Output file name. */
    public static final String EVAL_JSON = "eval.json";

    @Option(
            names = {"--conf", "--config"},
            required = true,
            paramLabel = "FILE",
            description = "training config (conf/train-tiny.yaml)")
    Path config;

    @Option(
            names = "--run",
            description = "training run folder; without it (or --checkpoint) only untrained and e5")
    Path run;

    @Option(
            names = "--checkpoint",
            description =
                    "one checkpoint folder (<run>/checkpoints/ckpt-...) as the trained model,"
                            + " verified like --run's; instead of --run's newest")
    Path checkpointFolder;

    @Option(names = "--eval", required = true, description = "eval sets (conf/eval-demo.yaml)")
    Path eval;

    @Option(names = "--data-root", description = "overrides data_root of the eval config")
    Path dataRoot;

    @Option(names = "--out", required = true, description = "output folder for eval.json")
    Path out;

    @Option(
            names = "--models",
            split = ",",
            description = "trained,untrained,e5 (default: all that apply)")
    List<String> models;

    @Option(
            names = "--variants",
            split = ",",
            paramLabel = "MASK-POOLING",
            description =
                    "evaluate the trained/untrained model under these attention masks and pooling"
                            + " heads instead of the trained one (bidirectional-latent), e.g."
                            + " causal-mean,bidirectional-mean; masks: bidirectional, causal;"
                            + " pooling: latent, mean, eos. Columns are then named"
                            + " <model>/<variant>.")
    List<String> variants;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu or gpu:N")
    String device;

    @Option(names = "--batch-size", defaultValue = "32", description = "texts per forward pass")
    int batchSize;

    private PrintStream console = System.out;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size=" + batchSize + " must be >= 1");
        }
        List<String> chosen = chooseModels();
        List<Column> columns = columns(chosen);
        TrainConfig train = TrainConfig.read(config);
        EvalConfig ec = EvalConfig.read(eval);
        Path root = dataRoot != null ? dataRoot : ec.dataRoot(eval);
        Checkpoints.Loaded ckpt = chosen.contains(TRAINED) ? checkpoint() : null;

        List<LoadedSet> sets = EvalSets.load(ec, root);
        for (LoadedSet s : sets) {
            console.printf(
                    Locale.ROOT,
                    "set %s: %s%s%n",
                    s.config().name(),
                    s.counts(),
                    s.bad().total() > 0 ? "; skipped " + s.bad().counts() : "");
        }

        ObjectMapper json = new ObjectMapper();
        ObjectNode doc = json.createObjectNode();
        doc.put("created", Instant.now().toString());
        doc.put("train_config", config.toString());
        doc.put("model_seed", train.modelSeed());
        doc.put("base_model", train.baseModel());
        doc.put("eval_config", eval.toString());
        doc.put("data_root", root.toString());
        if (ckpt != null) {
            ObjectNode c = doc.putObject("checkpoint");
            c.put("folder", ckpt.folder().toString());
            c.put("stage", ckpt.state().stage());
            c.put("stage_step", ckpt.state().stageStep());
            c.put("global_step", ckpt.state().globalStep());
        }
        doc.put("batch_size", batchSize);
        doc.put("device", device);
        ArrayNode setsJson = doc.putArray("sets");
        for (LoadedSet s : sets) {
            ObjectNode n = setsJson.addObject();
            n.put("name", s.config().name());
            n.put("kind", s.config().kind());
            n.put("instruction", s.config().instruction());
            ObjectNode counts = n.putObject("counts");
            s.counts().forEach(counts::put);
            ObjectNode skipped = n.putObject("skipped");
            s.bad().counts().forEach(skipped::put);
            ArrayNode ex = n.putArray("skipped_examples");
            s.bad().examples().forEach(ex::add);
        }
        ObjectNode results = doc.putObject("results");
        Map<String, Map<String, Map<String, Double>>> table = new LinkedHashMap<>();
        for (Column col : columns) {
            ObjectNode mj = results.putObject(col.label());
            long m0 = System.nanoTime();
            Map<String, Map<String, Double>> scores = evaluate(col, train, ckpt, sets);
            double seconds = (System.nanoTime() - m0) / 1e9;
            mj.put("seconds", seconds);
            if (variants != null && !col.model().equals(E5)) {
                mj.put("mask", col.variant().mask().key());
                mj.put("pooling", col.variant().pooling().key());
            }
            ObjectNode per = mj.putObject("sets");
            scores.forEach(
                    (set, metrics) -> {
                        ObjectNode sn = per.putObject(set);
                        metrics.forEach(sn::put);
                    });
            table.put(col.label(), scores);
            console.printf(Locale.ROOT, "%s: %.1f s%n", col.label(), seconds);
            doc.put("complete", table.size() == columns.size());
            doc.put("wall_seconds", (System.nanoTime() - t0) / 1e9);
            write(json, doc);
        }
        console.print(format(table, sets));
        console.printf(
                Locale.ROOT,
                "wall time %.1f s; wrote %s%n",
                (System.nanoTime() - t0) / 1e9,
                out.resolve(EVAL_JSON));
        return 0;
    }

    /**
     * Writes eval.json after every column, atomically: a column of a real model takes tens of
     * minutes on a CPU, so a run stopped later (OOM killer, a closed session) keeps the columns it
     * finished, and {@code complete} says whether every requested column is in.
     */
    private void write(ObjectMapper json, ObjectNode doc) throws IOException {
        Files.createDirectories(out);
        Path tmp = out.resolve(EVAL_JSON + ".tmp");
        Files.writeString(
                tmp,
                json.writerWithDefaultPrettyPrinter().writeValueAsString(doc),
                StandardCharsets.UTF_8);
        Files.move(
                tmp,
                out.resolve(EVAL_JSON),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    private List<String> chooseModels() {
        if (run != null && checkpointFolder != null) {
            throw new IllegalArgumentException(
                    "give --run (its newest good checkpoint) or --checkpoint (that one), not both");
        }
        boolean trained = run != null || checkpointFolder != null;
        if (models == null || models.isEmpty()) {
            return trained ? List.of(TRAINED, UNTRAINED, E5) : List.of(UNTRAINED, E5);
        }
        List<String> out = new ArrayList<>();
        for (String m : models) {
            String v = m.trim().toLowerCase(Locale.ROOT);
            if (!List.of(TRAINED, UNTRAINED, E5).contains(v)) {
                throw new IllegalArgumentException(
                        "--models " + m + " is not one of trained, untrained, e5");
            }
            if (v.equals(TRAINED) && !trained) {
                throw new IllegalArgumentException(
                        "--models trained needs --run <run folder> or --checkpoint <folder>");
            }
            if (!out.contains(v)) {
                out.add(v);
            }
        }
        return out;
    }

    /**
     * One column of the table: a model kind ({@link #TRAINED}, {@link #UNTRAINED}, {@link #E5}) and
     * the mask and pooling it is built with (ignored for E5).
     */
    record Column(String model, ModelVariant variant, String label) {}

    /** The chosen models, each NV-Embed one once per {@code --variants} entry. */
    private List<Column> columns(List<String> chosen) {
        List<ModelVariant> vs = new ArrayList<>();
        if (variants == null || variants.isEmpty()) {
            vs.add(ModelVariant.NV_EMBED);
        } else {
            for (String v : variants) {
                ModelVariant mv = ModelVariant.parse("--variants", v.trim());
                if (!vs.contains(mv)) {
                    vs.add(mv);
                }
            }
        }
        boolean named = variants != null && !variants.isEmpty();
        List<Column> out = new ArrayList<>();
        for (String model : chosen) {
            if (model.equals(E5)) {
                out.add(new Column(E5, ModelVariant.NV_EMBED, E5));
                continue;
            }
            for (ModelVariant v : vs) {
                out.add(new Column(model, v, named ? model + "/" + v.name() : model));
            }
        }
        return out;
    }

    private Checkpoints.Loaded checkpoint() throws IOException {
        if (checkpointFolder != null) {
            if (!Files.isDirectory(checkpointFolder)) {
                throw new InvalidFileException(
                        "--checkpoint "
                                + checkpointFolder
                                + " does not exist (or is not a folder)");
            }
            try {
                return new Checkpoints.Loaded(
                        checkpointFolder, Checkpoints.verify(checkpointFolder));
            } catch (IOException e) {
                throw new InvalidFileException(
                        "--checkpoint "
                                + checkpointFolder
                                + " is corrupt or partial: "
                                + e.getMessage(),
                        e);
            }
        }
        Path dir = run.resolve("checkpoints");
        return new Checkpoints(dir, System.err)
                .latestGood()
                .orElseThrow(() -> new IOException("no good checkpoint in " + dir));
    }

    private Map<String, Map<String, Double>> evaluate(
            Column col, TrainConfig train, Checkpoints.Loaded ckpt, List<LoadedSet> sets)
            throws IOException {
        if (col.model().equals(E5)) {
            EncoderConfig e5 =
                    new EncoderConfig(
                            null, null, null, null, null, null, null, null, batchSize, null, null,
                            null);
            try (TextEncoder enc = TextEncoder.load(e5)) {
                return scores(new E5Embedder(enc), sets);
            }
        }
        try (NDManager m = NDManager.newBaseManager(DeviceOption.parse(device))) {
            NvEmbedModel nv = Trainer.buildModel(m, train, col.variant());
            if (col.model().equals(TRAINED)) {
                Trainer.loadTrainable(m, nv, ckpt.folder().resolve(Checkpoints.WEIGHTS));
            }
            try (NvEmbedTokenizer tok = Trainer.tokenizer(train)) {
                return scores(new NvEmbedEmbedder(nv, tok, m, batchSize), sets);
            }
        }
    }

    /** Scores of one embedder on every set: set name to metric name to value. */
    static Map<String, Map<String, Double>> scores(Embedder e, List<LoadedSet> sets) {
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        for (LoadedSet s : sets) {
            long t = System.nanoTime();
            Map<String, Double> m = new LinkedHashMap<>(score(e, s));
            m.put(SECONDS, (System.nanoTime() - t) / 1e9);
            out.put(s.config().name(), m);
        }
        return out;
    }

    private static Map<String, Double> score(Embedder e, LoadedSet s) {
        EvalConfig.SetConfig c = s.config();
        return switch (c.kind()) {
            case EvalConfig.STS ->
                    Map.of(
                            SPEARMAN,
                            Evaluator.sts(
                                    e, c.instruction(), s.sts().a(), s.sts().b(), s.sts().gold()));
            case EvalConfig.CLASSIFICATION -> {
                Evaluator.ClassificationScores r =
                        Evaluator.classification(
                                e, c.instruction(), s.fit(), s.scored(), c.protocol());
                yield ordered(List.of(ACCURACY, F1), r.accuracy(), r.f1());
            }
            case EvalConfig.CLUSTERING ->
                    Map.of(
                            V_MEASURE,
                            Evaluator.clustering(e, c.instruction(), s.scored(), c.protocol()));
            default -> {
                Evaluator.RetrievalScores r = Evaluator.retrieval(e, s.retrieval());
                yield ordered(
                        metrics(EvalConfig.RETRIEVAL),
                        r.ndcg10(),
                        r.recall1(),
                        r.recall10(),
                        r.recall100());
            }
        };
    }

    /** The first {@code values.length} names with their values, in order. */
    private static Map<String, Double> ordered(List<String> names, double... values) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            m.put(names.get(i), values[i]);
        }
        return m;
    }

    /** The metrics of a set kind, in table order (the first is the main score). */
    static List<String> metrics(String kind) {
        return switch (kind) {
            case EvalConfig.STS -> List.of(SPEARMAN, SECONDS);
            case EvalConfig.CLASSIFICATION -> List.of(ACCURACY, F1, SECONDS);
            case EvalConfig.CLUSTERING -> List.of(V_MEASURE, SECONDS);
            default -> List.of(NDCG10, "recall@1", "recall@10", "recall@100", SECONDS);
        };
    }

    /** The printed table: one row per set and metric, one column per model. */
    static String format(
            Map<String, Map<String, Map<String, Double>>> table, List<LoadedSet> sets) {
        List<String> models = new ArrayList<>(table.keySet());
        int width = Math.max(10, models.stream().mapToInt(String::length).max().orElse(0));
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-28s %-15s %-11s", "set", "task", "metric"));
        models.forEach(m -> sb.append(" ").append(pad(m, width)));
        sb.append('\n');
        for (LoadedSet s : sets) {
            String name = s.config().name();
            for (String metric : metrics(s.config().kind())) {
                sb.append(
                        String.format(
                                Locale.ROOT, "%-28s %-15s %-11s", name, s.config().kind(), metric));
                for (String m : models) {
                    Double v = table.get(m).get(name).get(metric);
                    String cell =
                            String.format(Locale.ROOT, metric.equals(SECONDS) ? "%.1f" : "%.4f", v);
                    sb.append(" ").append(pad(cell, width));
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    private static String pad(String s, int width) {
        return " ".repeat(Math.max(0, width - s.length())) + s;
    }

    /** Where progress and the table go (tests). */
    void console(PrintStream p) {
        this.console = p;
    }
}
