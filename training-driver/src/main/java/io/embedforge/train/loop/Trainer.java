package io.embedforge.train.loop;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.progress.ProgressConsole;
import io.embedforge.progress.ProgressEvent;
import io.embedforge.progress.ProgressMeter;
import io.embedforge.train.ModelSpec;
import io.embedforge.train.ModelVariant;
import io.embedforge.train.NvEmbedModels;
import io.embedforge.train.TorchArrays;
import io.embedforge.train.data.TrainingBatch;
import io.embedforge.train.loss.ContrastiveBatch;
import io.embedforge.train.loss.GradCache;
import io.embedforge.train.loss.Replicas;
import io.embedforge.train.loss.Trainables;
import io.embedforge.train.model.LoraConfig;
import io.embedforge.train.model.MistralConfig;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.tokenize.NvEmbedTokenizer;
import io.embedforge.train.weights.HostTensor;
import io.embedforge.train.weights.ModelWeights;
import io.embedforge.train.weights.SafetensorsCheckpoint;
import io.embedforge.train.weights.SafetensorsWriter;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The two-stage contrastive training loop: stage 1 ({@code blend/stage1}, in-batch negatives) then
 * stage 2 ({@code blend/stage2}) starting from stage 1's LoRA and latent weights with a fresh
 * optimizer and schedule. Each step: read one batch, GradCache forward/backward, NaN check,
 * gradient clipping, Adam update; progress line, a JSON metrics line, checkpoints every N steps and
 * at each stage end. {@link #run} with resume continues from the newest good checkpoint exactly
 * (same data position, optimizer moments and dropout seeds).
 */
public final class Trainer {

    /** Outcome of {@link #run}. */
    public record Result(TrainState state, boolean finished, Path lastCheckpoint) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final TrainConfig config;
    private final Path blendDir;
    private final StageBatches batches;
    private final ModelVariant variant;
    private final Path runDir;
    private final PrintStream out;
    private final ProgressMeter meter;

    /**
     * A trainer whose progress lines go to {@code out} every 30 s (and every {@code log_every}
     * steps).
     */
    public Trainer(TrainConfig config, Path blendDir, Path runDir, PrintStream out) {
        this(config, blendDir, runDir, out, consoleMeter(out));
    }

    /**
     * NV-Embed's model, trained on batches streamed from the blend.
     *
     * @param config settings
     * @param blendDir holds {@code stage1/} and {@code stage2/}
     * @param runDir receives checkpoints, metrics, curves and the per-stage model folders
     * @param out the every-{@code log_every}-steps lines (with the loss) and messages
     * @param meter offered the step count after every update: reports at its interval (stage {@code
     *     train}, step {@code updates}, unit {@code steps}, training stage k of 2)
     */
    public Trainer(
            TrainConfig config, Path blendDir, Path runDir, PrintStream out, ProgressMeter meter) {
        this(config, blendDir, null, ModelVariant.NV_EMBED, runDir, out, meter);
    }

    /**
     * A model variant trained on batches prepared beforehand (an ablation's shared inputs), with
     * progress lines every 30 s.
     *
     * @param config settings (its tokenizer and chunk size must be the ones the batches used)
     * @param batches the steps' inputs
     * @param variant the attention mask and pooling head to train
     * @param runDir receives checkpoints, metrics, curves and the per-stage model folders
     * @param out progress lines
     */
    public Trainer(
            TrainConfig config,
            StageBatches batches,
            ModelVariant variant,
            Path runDir,
            PrintStream out) {
        this(config, null, batches, variant, runDir, out, consoleMeter(out));
    }

    private static ProgressMeter consoleMeter(PrintStream out) {
        return new ProgressMeter(
                InstantSource.system(), Duration.ofSeconds(30), new ProgressConsole(out));
    }

    private Trainer(
            TrainConfig config,
            Path blendDir,
            StageBatches batches,
            ModelVariant variant,
            Path runDir,
            PrintStream out,
            ProgressMeter meter) {
        this.config = config;
        this.blendDir = blendDir;
        this.batches = batches;
        this.variant = variant;
        this.runDir = runDir;
        this.out = out;
        this.meter = meter;
    }

    /** The metrics file (JSON lines, appended across resumes). */
    public Path metricsFile() {
        return runDir.resolve("metrics.jsonl");
    }

    /** Builds the NV-Embed model the config names, trainables initialised from the model seed. */
    public static NvEmbedModel buildModel(NDManager m, TrainConfig c) throws IOException {
        return buildModel(m, c, ModelVariant.NV_EMBED);
    }

    /**
     * Builds the config's model with another attention mask or pooling head (ablations, the raw
     * base model in eval); the LoRA and its seeded initial values are the same for every variant.
     */
    public static NvEmbedModel buildModel(NDManager m, TrainConfig c, ModelVariant variant)
            throws IOException {
        LoraConfig nv = LoraConfig.nvEmbed();
        ModelSpec spec =
                variant.spec(new LoraConfig(nv.rank(), nv.alpha(), c.loraDropout(), nv.targets()));
        DataType base = c.precision().baseType(m.getDevice());
        if ("tiny".equals(c.baseModel())) {
            return NvEmbedModels.tiny(m, spec, c.modelSeed(), base);
        }
        return NvEmbedModels.fromHuggingFace(m, Path.of(c.baseModel()), spec, base, c.modelSeed());
    }

    /** The tokenizer for the config's base model. */
    public static NvEmbedTokenizer tokenizer(TrainConfig c) throws IOException {
        if ("tiny".equals(c.baseModel())) {
            return NvEmbedTokenizer.e5(MistralConfig.tiny(), c.maxLength());
        }
        Path folder = Path.of(c.baseModel());
        return NvEmbedTokenizer.open(
                folder.resolve("tokenizer.json"),
                MistralConfig.read(folder.resolve("config.json")),
                c.maxLength());
    }

    /**
     * Trains both stages, or continues them.
     *
     * @param manager owner of the model (its device is the training device)
     * @param resume continue from the newest good checkpoint if there is one
     * @param maxUpdates stop after this many updates in this call (0 = no limit); used to simulate
     *     an interruption
     * @throws IOException if data or checkpoints cannot be read or written
     * @throws TrainingDivergedException on a non-finite loss or gradient
     */
    public Result run(NDManager manager, boolean resume, long maxUpdates) throws IOException {
        return run(List.of(manager), resume, maxUpdates);
    }

    /**
     * Trains both stages, or continues them, with the GradCache chunks of every batch spread over
     * several devices: each holds a copy of the model, the first (the primary) sums the gradients
     * and holds the optimizer. The result is bitwise that of {@link #run(NDManager, boolean, long)}
     * on the primary alone (docs/gpu.md, "Several devices").
     *
     * @param managers one per device, the primary first
     * @param resume continue from the newest good checkpoint if there is one
     * @param maxUpdates stop after this many updates in this call (0 = no limit)
     * @throws IOException if data or checkpoints cannot be read or written
     * @throws TrainingDivergedException on a non-finite loss or gradient
     */
    public Result run(List<NDManager> managers, boolean resume, long maxUpdates)
            throws IOException {
        Files.createDirectories(runDir);
        Checkpoints ckpts = new Checkpoints(runDir.resolve("checkpoints"), out);
        NDManager manager = managers.get(0);
        List<NvEmbedModel> models = new ArrayList<>();
        for (NDManager m : managers) {
            models.add(buildModel(m, config, variant));
        }
        Replicas replicas = new Replicas(models, managers);
        NvEmbedModel model = models.get(0);
        List<Parameter> params = Trainables.of(model);
        PrecisionConfig p = config.precision();
        LossScaler scaler =
                new LossScaler(
                        p.scales(p.baseType(manager.getDevice())),
                        p.lossScaleInit(),
                        p.lossScaleGrowthInterval());
        try (NvEmbedTokenizer tok = tokenizer(config);
                Adam adam = new Adam(manager, params, config)) {
            StageBatches source =
                    batches != null ? batches : StageBatches.streamed(blendDir, config, tok);
            GradCache gc =
                    new GradCache(
                            replicas,
                            tok,
                            config.chunkSize(),
                            config.temperature(),
                            config.recomputesLayers());
            Run run = new Run(manager, model, params, adam, scaler, ckpts, gc, source, maxUpdates);
            if (resume) {
                run.resume();
            }
            for (int stage = 1; stage <= 2; stage++) {
                if (!run.stage(stage)) {
                    return new Result(run.state, false, run.last);
                }
            }
            return new Result(run.state, true, run.last);
        }
    }

    /**
     * One call of {@link #run}: the model, optimizer and checkpoints it trains with, and where it
     * is (state, last checkpoint, updates so far). Each step of the loop is one method.
     */
    private final class Run {
        private final NDManager manager;
        private final NvEmbedModel model;
        private final List<Parameter> params;
        private final Adam adam;
        private final LossScaler scaler;
        private final Checkpoints ckpts;
        private final GradCache gc;
        private final StageBatches source;
        private final long maxUpdates;
        private TrainState state = TrainState.fresh(config.seed());
        private Path last;
        private long updates;

        Run(
                NDManager manager,
                NvEmbedModel model,
                List<Parameter> params,
                Adam adam,
                LossScaler scaler,
                Checkpoints ckpts,
                GradCache gc,
                StageBatches source,
                long maxUpdates) {
            this.manager = manager;
            this.model = model;
            this.params = params;
            this.adam = adam;
            this.scaler = scaler;
            this.ckpts = ckpts;
            this.gc = gc;
            this.source = source;
            this.maxUpdates = maxUpdates;
        }

        /** Continues from the newest good checkpoint, if there is one. */
        void resume() throws IOException {
            Optional<Checkpoints.Loaded> good = ckpts.latestGood();
            if (good.isEmpty()) {
                out.println("no good checkpoint in " + ckpts.dir() + "; starting fresh");
                return;
            }
            last = good.get().folder();
            state = good.get().state();
            loadWeights(manager, params, last.resolve(Checkpoints.WEIGHTS));
            scaler.load(last);
            if (!state.stageComplete()) {
                adam.load(last.resolve(Checkpoints.OPTIMIZER));
            }
            out.printf(
                    Locale.ROOT,
                    "resuming from %s (stage %d, step %d, batch_index %d)%n",
                    last,
                    state.stage(),
                    state.stageStep(),
                    state.lastBatchIndex());
        }

        /**
         * Trains stage {@code stage} to its end (or continues it); false when {@code maxUpdates}
         * stopped it first.
         */
        boolean stage(int stage) throws IOException {
            if (state.stage() > stage || (state.stage() == stage && state.stageComplete())) {
                return true;
            }
            if (state.stage() < stage || state.stageComplete()) {
                state =
                        new TrainState(
                                stage, 0, state.globalStep(), Long.MIN_VALUE, false, state.seed());
                adam.reset();
            }
            long total = source.count(stage);
            if (config.maxSteps(stage) > 0) {
                total = Math.min(total, config.maxSteps(stage));
            }
            Progress progress = new Progress(stage, total, state.stageStep());
            try (StageBatches.Cursor reader = source.open(stage, state.lastBatchIndex())) {
                while (state.stageStep() < total && reader.hasNext()) {
                    if (maxUpdates > 0 && updates >= maxUpdates) {
                        return false;
                    }
                    update(stage, reader.next(), total, progress);
                    boolean end = state.stageStep() >= total || !reader.hasNext();
                    checkpoint(stage, end);
                    if (end) {
                        stageDone(stage);
                    }
                }
            }
            return true;
        }

        /**
         * One update: GradCache forward/backward (loss-scaled on a float16 base), clipping, the
         * divergence check, Adam; or, when the scaled gradients overflowed, a skipped step (batch
         * consumed, no update, scale halved).
         */
        private void update(int stage, StepBatch in, long total, Progress progress)
                throws IOException {
            long t0 = System.nanoTime();
            TrainingBatch batch = in.batch();
            ContrastiveBatch cb = in.contrastive();
            Trainables.zeroGradients(params);
            GradCache.StepResult r;
            double scale = scaler.scale();
            try (NDManager step = manager.newSubManager()) {
                r =
                        gc.step(
                                step,
                                cb,
                                in.chunks(),
                                stepSeed(state.seed(), state.globalStep()),
                                scale);
            }
            int overflow = Double.isFinite(r.loss()) ? scaler.unscale(manager, params) : 0;
            double norm = Double.NaN;
            double lr =
                    LrSchedule.at(config.lr(stage), config.warmupSteps(), total, state.stageStep());
            if (overflow > 0) {
                if (!scaler.overflowed(overflow)) {
                    throw diverged(stage, batch, r, norm);
                }
            } else {
                norm = adam.clipGradients(config.clipNorm());
                if (!Double.isFinite(r.loss()) || !Double.isFinite(norm)) {
                    throw diverged(stage, batch, r, norm);
                }
                adam.step(lr);
                scaler.stepped();
            }
            long t2 = System.nanoTime();
            state =
                    new TrainState(
                            stage,
                            state.stageStep() + 1,
                            state.globalStep() + 1,
                            batch.batchIndex(),
                            false,
                            state.seed());
            updates++;
            noteBatchSize(batch);
            double secs = in.seconds() + (t2 - t0) / 1e9;
            Scaling sc = new Scaling(scale, overflow, scaler.skippedSteps());
            metrics(state, r, lr, norm, cb, batch, in.seconds(), secs, sc);
            progress.report(state, r, lr, batch.examples().size(), secs);
        }

        private TrainingDivergedException diverged(
                int stage, TrainingBatch batch, GradCache.StepResult r, double norm) {
            return new TrainingDivergedException(
                    String.format(
                            Locale.ROOT,
                            "training diverged at stage %d step %d (batch_index %d):"
                                    + " loss=%s gradient norm=%s loss scale=%s; no update"
                                    + " applied, last good checkpoint: %s; non-finite"
                                    + " gradients: %s",
                            stage,
                            state.stageStep() + 1,
                            batch.batchIndex(),
                            r.loss(),
                            norm,
                            scaler.scale(),
                            last == null ? "none" : last,
                            adam.nonFiniteGradients()));
        }

        /** Checkpoints every {@code checkpoint_every} steps and at the stage's end. */
        private void checkpoint(int stage, boolean end) throws IOException {
            if (end) {
                state =
                        new TrainState(
                                stage,
                                state.stageStep(),
                                state.globalStep(),
                                state.lastBatchIndex(),
                                true,
                                state.seed());
            }
            if (end || state.stageStep() % config.checkpointEvery() == 0) {
                last =
                        ckpts.save(
                                state,
                                folder -> {
                                    saveWeights(params, folder.resolve(Checkpoints.WEIGHTS));
                                    adam.save(folder.resolve(Checkpoints.OPTIMIZER));
                                    scaler.save(folder);
                                },
                                config.keepCheckpoints());
            }
        }

        /** At a stage's end: its model folder and its loss and learning-rate curves. */
        private void stageDone(int stage) throws IOException {
            Path folder = runDir.resolve("stage" + stage + "-model");
            ModelWeights.saveTrainable(model, folder, config.baseModel());
            Curves.write(metricsFile(), stage, runDir);
            out.printf(
                    Locale.ROOT,
                    "stage %d done: %d steps, model in %s%n",
                    stage,
                    state.stageStep(),
                    folder);
        }

        /** Says once per stage when batches are not the size the config expects. */
        private void noteBatchSize(TrainingBatch batch) {
            if (batch.examples().size() != config.batchSize() && state.stageStep() == 1) {
                out.printf(
                        Locale.ROOT,
                        "note: batch_index %d has %d examples, config batch_size is %d%n",
                        batch.batchIndex(),
                        batch.examples().size(),
                        config.batchSize());
            }
        }
    }

    /** Dropout seed of update {@code globalStep}. */
    static long stepSeed(long seed, long globalStep) {
        return seed * 1_000_003L + globalStep;
    }

    /**
     * Loss scaling of one step for {@code metrics.jsonl}: the scale its backward pass used, how
     * many gradients overflowed (the step was skipped when &gt; 0), skipped steps so far.
     */
    private record Scaling(double scale, int overflowTensors, long skippedSteps) {}

    private void metrics(
            TrainState s,
            GradCache.StepResult r,
            double lr,
            double norm,
            ContrastiveBatch cb,
            TrainingBatch batch,
            double dataSeconds,
            double stepSeconds,
            Scaling scaling)
            throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("stage", s.stage());
        n.put("step", s.stageStep());
        n.put("global_step", s.globalStep());
        n.put("batch_index", batch.batchIndex());
        n.put("loss", r.loss());
        n.put("lr", lr);
        if (Double.isNaN(norm)) {
            n.putNull("grad_norm");
        } else {
            n.put("grad_norm", norm);
        }
        n.put("examples", batch.examples().size());
        n.put("rows_without_negatives", cb.rowsWithoutNegatives());
        n.put("sequences", r.sequences());
        n.put("tokens", r.tokens());
        n.put("step_seconds", stepSeconds);
        n.put("data_seconds", dataSeconds);
        n.put("examples_per_s", batch.examples().size() / stepSeconds);
        n.put("tokens_per_s", r.tokens() / stepSeconds);
        n.put("loss_scale", scaling.scale());
        n.put("skipped", scaling.overflowTensors() > 0);
        n.put("overflow_tensors", scaling.overflowTensors());
        n.put("skipped_steps", scaling.skippedSteps());
        try (BufferedWriter w =
                Files.newBufferedWriter(
                        metricsFile(),
                        StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND)) {
            w.write(JSON.writeValueAsString(n));
            w.newLine();
        }
    }

    /** Writes the trainable parameters by name (float32). */
    static void saveWeights(List<Parameter> params, Path file) throws IOException {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        for (Parameter p : params) {
            t.put(p.getName(), HostTensor.of(p.getArray()));
        }
        SafetensorsWriter.write(file, t, Map.of("format", "pt"));
    }

    /**
     * Sets the trainable parameters from a checkpoint.
     *
     * @throws IOException if a tensor is missing or has another shape (the checkpoint belongs to a
     *     different model)
     */
    static void loadWeights(NDManager m, List<Parameter> params, Path file) throws IOException {
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(file)) {
            for (Parameter p : params) {
                if (!c.contains(p.getName())) {
                    throw new IOException(
                            "checkpoint "
                                    + file
                                    + " is missing tensor "
                                    + p.getName()
                                    + "; was it written for another model?");
                }
                long[] shape = p.getArray().getShape().getShape();
                if (!java.util.Arrays.equals(c.info(p.getName()).shape(), shape)) {
                    throw new IOException(
                            "checkpoint "
                                    + file
                                    + " tensor "
                                    + p.getName()
                                    + " has shape "
                                    + java.util.Arrays.toString(c.info(p.getName()).shape())
                                    + ", the model expects "
                                    + java.util.Arrays.toString(shape));
                }
                TorchArrays.copyInto(p.getArray(), c.readFloats(p.getName()));
            }
        }
    }

    /**
     * Sets a model's trainable parameters from a checkpoint's {@link Checkpoints#WEIGHTS} (export,
     * evaluation).
     *
     * @throws IOException if the checkpoint does not match the model
     */
    public static void loadTrainable(NDManager m, NvEmbedModel model, Path file)
            throws IOException {
        loadWeights(m, Trainables.of(model), file);
    }

    /**
     * The progress of one training stage: offered to the {@link ProgressMeter} after every update
     * (a report at its interval), and a line with the loss every {@code log_every} steps whose rate
     * and ETA are the meter's.
     */
    private final class Progress {
        private final int stage;
        private final long total;
        private final long start = System.nanoTime();
        private long examples;
        private long tokens;

        /** Starts the step count at {@code startStep} (a resumed stage's steps do not count). */
        Progress(int stage, long total, long startStep) {
            this.stage = stage;
            this.total = total;
            meter.peek(reading(startStep));
        }

        private ProgressMeter.Reading reading(long step) {
            return new ProgressMeter.Reading(
                    "train", stage, 2, "updates", step, total, false, "steps");
        }

        void report(
                TrainState s, GradCache.StepResult r, double lr, int batchExamples, double secs) {
            examples += batchExamples;
            tokens += r.tokens();
            ProgressMeter.Reading reading = reading(s.stageStep());
            meter.offer(reading);
            if (s.stageStep() % config.logEvery() != 0 && s.stageStep() != total) {
                return;
            }
            ProgressEvent e = meter.peek(reading);
            double elapsed = (System.nanoTime() - start) / 1e9;
            out.printf(
                    Locale.ROOT,
                    "stage %d step %d/%d loss %.4f lr %.3g examples/s %.1f tokens/s %.0f"
                            + " steps/s %.3g ETA %s%n",
                    stage,
                    s.stageStep(),
                    total,
                    r.loss(),
                    lr,
                    examples / elapsed,
                    tokens / elapsed,
                    e.rate(),
                    e.etaSeconds() == null ? "unknown" : ProgressEvent.duration(e.etaSeconds()));
        }
    }
}
