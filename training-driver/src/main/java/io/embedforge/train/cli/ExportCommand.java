package io.embedforge.train.cli;

import ai.djl.ndarray.NDManager;
import io.embedforge.train.loop.Checkpoints;
import io.embedforge.train.loop.TrainConfig;
import io.embedforge.train.loop.Trainer;
import io.embedforge.train.model.NvEmbedModel;
import io.embedforge.train.weights.ModelWeights;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code export}: the newest good checkpoint of a run as a folder a Python user can load: PEFT
 * adapter ({@code adapter_config.json}, {@code adapter_model.safetensors}), the latent-attention
 * head ({@code latent_attention.safetensors}, NV-Embed parameter names) and a model card.
 */
@Command(
        name = "export",
        mixinStandardHelpOptions = true,
        description = "Export a trained run as PEFT adapter + latent head + model card.")
public final class ExportCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "the training config of the run")
    Path config;

    @Option(names = "--run", required = true, description = "the training run folder")
    Path run;

    @Option(names = "--out", required = true, description = "destination folder")
    Path out;

    @Override
    public Integer call() throws Exception {
        TrainConfig c = TrainConfig.read(config);
        Checkpoints.Loaded ckpt =
                new Checkpoints(run.resolve("checkpoints"), System.err)
                        .latestGood()
                        .orElseThrow(
                                () ->
                                        new IOException(
                                                "no good checkpoint in "
                                                        + run.resolve("checkpoints")));
        try (NDManager m = NDManager.newBaseManager()) {
            NvEmbedModel model = Trainer.buildModel(m, c);
            Trainer.loadTrainable(m, model, ckpt.folder().resolve(Checkpoints.WEIGHTS));
            ModelWeights.saveTrainable(model, out, c.baseModel());
        }
        Files.writeString(out.resolve("README.md"), card(c, ckpt), StandardCharsets.UTF_8);
        System.out.println("exported " + ckpt.folder() + " to " + out);
        return 0;
    }

    private static String card(TrainConfig c, Checkpoints.Loaded ckpt) {
        return """
                # EmbedForge NV-Embed model

                Trained by EmbedForge (two-stage contrastive instruction tuning, NV-Embed recipe).
                Base model: `%s`. Checkpoint: stage %d, step %d (global step %d).

                - `adapter_config.json`, `adapter_model.safetensors`: PEFT LoRA (r 16, alpha 32) on
                  q, k, v, o, gate, up, down; load with `peft.PeftModel.from_pretrained(base, folder)`.
                  The decoder runs with bidirectional attention (`config.is_causal = False`).
                - `latent_attention.safetensors`: the latent-attention pooling head, NV-Embed names
                  (`latent_attention_model.*`).

                Inputs: queries as `Instruct: {instruction}\\nQuery: {query}`, documents as-is; BOS and
                EOS around the text, max %d tokens; the instruction tokens are excluded from pooling;
                output is the masked mean of the head's output, L2-normalised. Temperature in
                training: %s.
                """
                .formatted(
                        c.baseModel(),
                        ckpt.state().stage(),
                        ckpt.state().stageStep(),
                        ckpt.state().globalStep(),
                        c.maxLength(),
                        c.temperature());
    }
}
