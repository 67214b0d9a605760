package io.embedforge.train.cli;

import ai.djl.ndarray.NDManager;
import io.embedforge.settings.BadInputException;
import io.embedforge.settings.InvalidFileException;
import io.embedforge.train.embed.EmbedInput;
import io.embedforge.train.embed.EmbedJob;
import io.embedforge.train.embed.EmbeddingModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code embed}: embeddings of any texts with a trained model (an export folder or a run folder),
 * as Parquet {@code id, text, embedding}. It runs on this machine, not on Spark: the model is one
 * DJL instance (up to 7B parameters, on a GPU with {@code --device gpu}) that Spark executors would
 * each have to load, and the input is streamed in batches, so memory does not grow with the input.
 * For a very large corpus, split the input and run one {@code embed} per GPU.
 */
@Command(
        name = "embed",
        mixinStandardHelpOptions = true,
        description =
                "Embed texts (JSON Lines, Parquet or text) with a trained or exported model:"
                        + " Parquet id, text, embedding (float32); bad rows to a rejects file.")
public final class EmbedCommand implements Callable<Integer> {

    @Option(
            names = "--model",
            required = true,
            description = "export folder (embedforge.json) or training run folder (run-info.json)")
    Path model;

    @Option(
            names = "--input",
            required = true,
            description = ".jsonl/.json (JSON Lines), .parquet, or .txt (one text a line)")
    Path input;

    @Option(
            names = "--text-field",
            description = "field or column holding the text (required unless --input is .txt)")
    String textField;

    @Option(
            names = "--id-field",
            defaultValue = "id",
            description = "field or column holding the id; a row without one gets its row number")
    String idField;

    @Option(
            names = "--instruction",
            description =
                    "task instruction: texts are queries, embedded as"
                            + " 'Instruct: <instruction>\\nQuery: <text>'; without it, documents")
    String instruction;

    @Option(
            names = "--out",
            required = true,
            description =
                    "new .parquet file; rejects go to <name>.rejects.parquet, counts to"
                            + " <name>.manifest.json")
    Path out;

    @Option(names = "--batch-size", defaultValue = "16", description = "texts per forward pass")
    int batchSize;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, gpu or gpu:N")
    String device;

    @Override
    public Integer call() throws Exception {
        EmbedJob job = new EmbedJob(out, instruction, batchSize);
        check(job);
        try (EmbedInput in = EmbedInput.open(input, textField, idField);
                NDManager m = NDManager.newBaseManager(DeviceOption.parse(device))) {
            EmbeddingModel em = EmbeddingModel.load(m, model);
            try (var tok = em.tokenizer()) {
                System.err.println("embed: " + em.source() + ", input " + input);
                EmbedJob.Counts c = job.run(m, em, in, System.err);
                job.writeManifest(em.source(), input, c);
                System.out.printf(
                        "embedded %d of %d rows to %s; %d rejected (%s) to %s%n",
                        c.written(),
                        c.read(),
                        out,
                        c.rejectedTotal(),
                        c.rejected(),
                        job.rejectsFile());
            }
        }
        return 0;
    }

    private void check(EmbedJob job) throws InvalidFileException {
        if (batchSize < 1) {
            throw new BadInputException("--batch-size " + batchSize + " must be at least 1");
        }
        if (instruction != null && instruction.isBlank()) {
            throw new BadInputException(
                    "--instruction is blank; give the task instruction, or leave it out for"
                            + " documents");
        }
        if (!out.getFileName().toString().endsWith(".parquet")) {
            throw new BadInputException("--out " + out + " must end in .parquet");
        }
        for (Path p : new Path[] {out, job.rejectsFile(), job.manifestFile()}) {
            if (Files.exists(p)) {
                throw new InvalidFileException(p + " exists; choose a new --out");
            }
        }
        if (out.toAbsolutePath().getParent() != null
                && !Files.isDirectory(out.toAbsolutePath().getParent())) {
            throw new InvalidFileException("the folder of --out " + out + " does not exist");
        }
    }
}
