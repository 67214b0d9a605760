package io.embedforge.train.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.settings.BadInputException;
import io.embedforge.train.ModelVariant;
import io.embedforge.train.ablate.AblationGrid;
import io.embedforge.train.ablate.AblationReport;
import io.embedforge.train.ablate.AblationReport.SetColumn;
import io.embedforge.train.ablate.VariantResult;
import io.embedforge.train.eval.EvalConfig;
import io.embedforge.train.eval.EvalSets;
import io.embedforge.train.eval.EvalSets.LoadedSet;
import io.embedforge.train.eval.NvEmbedEmbedder;
import io.embedforge.train.loop.Checkpoints;
import io.embedforge.train.loop.StageBatches;
import io.embedforge.train.loop.TrainConfig;
import io.embedforge.train.loop.Trainer;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ablate}: NV-Embed's ablation in one command. Trains every {@code --grid} variant
 * (attention mask x pooling head) with the same training config, blend batches, seeds and step
 * budget, then evaluates each on the same eval sets, and writes {@code ablation.json}, {@code
 * ablation.md} and {@code ablation.png} ({@link AblationReport}). The blend batches the budget
 * needs are read and tokenised once and the eval sets loaded once, for all variants; each variant
 * trains into {@code <out>/runs/<variant>} exactly as {@code train} would and is scored as {@code
 * eval --run} would. A variant that fails is recorded with its error and the others go on (exit
 * code 1 at the end). The report is rewritten after every variant ({@code complete} says whether
 * all are in): on a CPU a variant takes many minutes, and a stopped run keeps the ones it finished.
 */
@Command(
        name = "ablate",
        mixinStandardHelpOptions = true,
        description =
                "Train and evaluate every attention mask x pooling variant with the same data,"
                        + " seed and budget; write a table (JSON, Markdown) and a chart.")
public final class AblateCommand implements Callable<Integer> {

    /** Per-variant run folders under {@code --out}. */
    public static final String RUNS = "runs";

    @Option(
            names = {"--conf", "--config"},
            required = true,
            paramLabel = "FILE",
            description = "training config (conf/train-smollm2.yaml)")
    Path config;

    @Option(names = "--eval", required = true, description = "eval sets (conf/eval-demo.yaml)")
    Path eval;

    @Option(names = "--data-root", description = "overrides data_root of the eval config")
    Path dataRoot;

    @Option(names = "--blend", required = true, description = "folder with stage1/ and stage2/")
    Path blend;

    @Option(
            names = "--grid",
            arity = "1..*",
            paramLabel = "KEY=V1,V2",
            description =
                    "mask=causal,bidirectional and/or pooling=latent,mean,eos (a key left out takes"
                            + " all its values)")
    List<String> grid;

    @Option(
            names = "--stage1-steps",
            defaultValue = "-1",
            description = "stage 1 budget of every variant (-1: stage1_max_steps of the config)")
    long stage1Steps;

    @Option(
            names = "--stage2-steps",
            defaultValue = "-1",
            description = "stage 2 budget of every variant (-1: stage2_max_steps of the config)")
    long stage2Steps;

    @Option(names = "--out", required = true, description = "output folder")
    Path out;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu or gpu:N")
    String device;

    @Option(names = "--batch-size", defaultValue = "32", description = "eval texts per forward")
    int batchSize;

    private PrintStream console = System.out;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        List<ModelVariant> variants = AblationGrid.parse(grid).variants();
        TrainConfig train = budget(TrainConfig.read(config));
        TrainCommand.checkBlend(blend);
        if (batchSize < 1) {
            throw new BadInputException("--batch-size=" + batchSize + " must be >= 1");
        }
        EvalConfig ec = EvalConfig.read(eval);
        Path root = dataRoot != null ? dataRoot : ec.dataRoot(eval);
        List<LoadedSet> sets = EvalSets.load(ec, root);
        List<SetColumn> columns = new ArrayList<>();
        for (LoadedSet s : sets) {
            columns.add(
                    new SetColumn(
                            s.config().name(), EvalCommand.metrics(s.config().kind()).get(0)));
        }
        List<VariantResult> results = new ArrayList<>();
        double prepSeconds;
        try (NvEmbedTokenizer tok = Trainer.tokenizer(train)) {
            long p0 = System.nanoTime();
            StageBatches batches = StageBatches.shared(blend, train, tok);
            prepSeconds = (System.nanoTime() - p0) / 1e9;
            console.printf(
                    Locale.ROOT,
                    "ablate: %d variants, blend batches read and tokenised once in %.1f s%n",
                    variants.size(),
                    prepSeconds);
            for (ModelVariant v : variants) {
                results.add(variant(v, train, batches, tok, sets));
                ObjectNode header =
                        header(train, variants, prepSeconds, (System.nanoTime() - t0) / 1e9);
                header.put("complete", results.size() == variants.size());
                AblationReport.write(out, header, results, columns);
            }
        }
        console.print(AblationReport.markdown(results, columns));
        long failed = results.stream().filter(r -> !r.ok()).count();
        console.printf(
                Locale.ROOT,
                "wall time %.1f s; %d of %d variants failed; wrote %s%n",
                (System.nanoTime() - t0) / 1e9,
                failed,
                results.size(),
                out.resolve(AblationReport.MARKDOWN));
        return failed == 0 ? CliStyle.EXIT_OK : CliStyle.EXIT_FAILURE;
    }

    /** The config with the command line's step budget; both stages must have one. */
    private TrainConfig budget(TrainConfig c) {
        long s1 = stage1Steps >= 0 ? stage1Steps : c.stage1MaxSteps();
        long s2 = stage2Steps >= 0 ? stage2Steps : c.stage2MaxSteps();
        if (s1 <= 0 || s2 <= 0) {
            throw new BadInputException(
                    "ablate needs a step budget for both stages (every variant trains the same"
                            + " steps): --stage1-steps="
                            + s1
                            + " --stage2-steps="
                            + s2
                            + "; give values >= 1 or set stage1_max_steps/stage2_max_steps in "
                            + config);
        }
        return c.withMaxSteps(s1, s2);
    }

    /** Trains and evaluates one variant; any failure is its result, not the command's. */
    private VariantResult variant(
            ModelVariant v,
            TrainConfig train,
            StageBatches batches,
            NvEmbedTokenizer tok,
            List<LoadedSet> sets) {
        Path run = out.resolve(RUNS).resolve(v.name());
        console.println("== " + v.name() + ": training into " + run);
        long t0 = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager(DeviceOption.parse(device))) {
            if (Files.exists(run)) {
                throw new IOException(
                        "run folder "
                                + run
                                + " exists; ablate trains every variant from scratch (remove it"
                                + " or choose another --out)");
            }
            Trainer.Result r = new Trainer(train, batches, v, run, console).run(m, false, 0);
            double trainSeconds = (System.nanoTime() - t0) / 1e9;
            long e0 = System.nanoTime();
            Checkpoints.Loaded ckpt =
                    new Checkpoints(run.resolve("checkpoints"), console)
                            .latestGood()
                            .orElseThrow(() -> new IOException("no good checkpoint in " + run));
            NvEmbedModel model = Trainer.buildModel(m, train, v);
            Trainer.loadTrainable(m, model, ckpt.folder().resolve(Checkpoints.WEIGHTS));
            Map<String, Map<String, Double>> scores =
                    EvalCommand.scores(new NvEmbedEmbedder(model, tok, m, batchSize), sets);
            return new VariantResult(
                    v,
                    null,
                    scores,
                    r.state().globalStep(),
                    lastLoss(run),
                    trainSeconds,
                    (System.nanoTime() - e0) / 1e9);
        } catch (Exception | OutOfMemoryError e) {
            console.println("== " + v.name() + " failed: " + e);
            e.printStackTrace(console);
            return VariantResult.failed(v, e, (System.nanoTime() - t0) / 1e9);
        }
    }

    /** Loss of the last line of the run's metrics.jsonl. */
    private static double lastLoss(Path run) throws IOException {
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (!lines.get(i).isBlank()) {
                return new ObjectMapper().readTree(lines.get(i)).path("loss").asDouble(Double.NaN);
            }
        }
        return Double.NaN;
    }

    private ObjectNode header(
            TrainConfig train, List<ModelVariant> variants, double prep, double wall) {
        ObjectNode h = new ObjectMapper().createObjectNode();
        h.put("created", Instant.now().toString());
        h.put("train_config", config.toString());
        h.put("base_model", train.baseModel());
        h.put("model_seed", train.modelSeed());
        h.put("seed", train.seed());
        h.put("blend", blend.toString());
        h.put("eval_config", eval.toString());
        h.put("stage1_steps", train.stage1MaxSteps());
        h.put("stage2_steps", train.stage2MaxSteps());
        h.put("max_length", train.maxLength());
        h.put("max_negatives", train.maxNegatives());
        ArrayNode g = h.putArray("grid");
        variants.forEach(v -> g.add(v.name()));
        h.put("data_prepare_seconds", prep);
        h.put("wall_seconds", wall);
        return h;
    }

    /** Where progress and the table go (tests). */
    void console(PrintStream p) {
        this.console = p;
    }
}
