package io.embedforge.train.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.contract.TrainingContract;
import io.embedforge.progress.ProgressConsole;
import io.embedforge.progress.ProgressJson;
import io.embedforge.progress.ProgressMeter;
import io.embedforge.settings.BadInputException;
import io.embedforge.train.loop.TrainConfig;
import io.embedforge.train.loop.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code train}: both stages from the blend Parquet, or continue with {@code --resume}. */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = "Two-stage contrastive training of the NV-Embed model from blend/stage{1,2}.")
public final class TrainCommand implements Callable<Integer> {

    @Option(
            names = {"--conf", "--config"},
            required = true,
            paramLabel = "FILE",
            description = "Training config: conf/train-tiny.yaml or conf/train-7b.yaml.")
    Path config;

    @Option(
            names = "--blend",
            required = true,
            description = "folder with stage1/ and stage2/ Parquet")
    Path blend;

    @Option(
            names = "--run",
            required = true,
            description = "output: checkpoints, metrics.jsonl, stage models")
    Path run;

    @Option(names = "--resume", description = "continue from the newest good checkpoint")
    boolean resume;

    @Option(
            names = "--device",
            defaultValue = "cpu",
            description =
                    "cpu, gpu, gpu:N, or gpu:N,M,... to spread each batch's chunks over several"
                            + " GPUs (cpu:N,M,...: model copies on the one CPU, to test that path;"
                            + " docs/gpu.md)")
    String device;

    @Option(
            names = "--max-steps",
            defaultValue = "0",
            description = "stop after this many updates (0 = all)")
    long maxSteps;

    @Option(
            names = "--progress-interval",
            paramLabel = "SECONDS",
            defaultValue = "30",
            description = "seconds between two progress lines (default: ${DEFAULT-VALUE})")
    double progressInterval;

    @Option(
            names = "--progress-json",
            paramLabel = "FILE",
            description = "also append the progress reports to this file as JSON lines")
    Path progressJson;

    @Override
    public Integer call() throws Exception {
        Duration interval = ProgressMeter.interval(progressInterval);
        TrainConfig c = TrainConfig.read(config);
        checkBlend(blend);
        List<Device> devices = DeviceOption.parseList(device);
        checkChunks(device, devices.size(), c, config);
        Files.createDirectories(run);
        ObjectNode info = new ObjectMapper().createObjectNode();
        info.put("config", config.toAbsolutePath().toString());
        // export reads the blend folder from here to list the task instructions in the card
        info.put("blend", blend.toAbsolutePath().toString());
        Files.writeString(run.resolve(ExportCommand.RUN_INFO), info.toPrettyString());
        List<NDManager> managers = new ArrayList<>();
        try (ProgressJson json = ProgressJson.open(progressJson)) {
            for (Device d : devices) {
                managers.add(NDManager.newBaseManager(d));
            }
            ProgressMeter meter =
                    new ProgressMeter(
                            InstantSource.system(),
                            interval,
                            new ProgressConsole(System.out).andJson(json));
            Trainer.Result r =
                    new Trainer(c, blend, run, System.out, meter).run(managers, resume, maxSteps);
            System.out.printf(
                    "%s at stage %d step %d; metrics %s; last checkpoint %s%n",
                    r.finished() ? "finished" : "stopped",
                    r.state().stage(),
                    r.state().stageStep(),
                    run.resolve("metrics.jsonl"),
                    r.lastCheckpoint());
        } finally {
            managers.forEach(NDManager::close);
        }
        return 0;
    }

    /**
     * Fails (exit code 2) when a full batch has fewer GradCache chunks than there are devices: each
     * device works on whole chunks, so a device without one would only cost memory.
     */
    static void checkChunks(String value, int devices, TrainConfig c, Path config) {
        long sequences = (long) c.batchSize() * (2 + c.maxNegatives());
        long chunks = (sequences + c.chunkSize() - 1) / c.chunkSize();
        if (devices > chunks) {
            throw new BadInputException(
                    String.format(
                            Locale.ROOT,
                            "--device %s: %d devices, but %s makes %d chunks per batch"
                                    + " (batch_size %d x (2 + max_negatives %d) = %d sequences,"
                                    + " chunk_size %d); give at most %d devices or a smaller"
                                    + " chunk_size",
                            value,
                            devices,
                            config,
                            chunks,
                            c.batchSize(),
                            c.maxNegatives(),
                            sequences,
                            c.chunkSize(),
                            chunks));
        }
    }

    /**
     * Fails (exit code 2, nothing written) unless {@code blend} holds the blend stage's {@code
     * stage1/} and {@code stage2/} folders.
     */
    static void checkBlend(Path blend) {
        for (String stage : List.of(TrainingContract.STAGE1, TrainingContract.STAGE2)) {
            if (!Files.isDirectory(blend.resolve(stage))) {
                throw new BadInputException(
                        "--blend "
                                + blend
                                + ": no "
                                + stage
                                + "/ folder; give the blend stage's output (<out>/blend, with"
                                + " stage1/ and stage2/)");
            }
        }
    }
}
