package io.embedforge.train.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.embedforge.contract.TrainingContract;
import io.embedforge.train.loop.Checkpoints;
import io.embedforge.train.loop.TrainConfig;
import io.embedforge.train.model.LatentAttentionConfig;
import io.embedforge.train.model.LoraConfig;
import io.embedforge.train.model.NvEmbedModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** {@code embedforge.json}: everything a loader needs, the machine-readable model card. */
final class ExportMetadata {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ExportMetadata() {}

    static String meta(
            TrainConfig c,
            NvEmbedModel model,
            Checkpoints.Loaded ckpt,
            boolean tiny,
            boolean merged,
            Map<String, Map<String, Long>> instructions)
            throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", "embedforge-nv-embed/1");
        n.put("base_model", c.baseModel());
        n.put(
                "base_model_folder",
                tiny
                        ? Exporter.BASE_DIR
                        : Path.of(c.baseModel()).toAbsolutePath().normalize().toString());
        n.put("base_model_exported", tiny);
        if (tiny) {
            n.put("model_seed", c.modelSeed());
        }
        n.put("merged_folder", merged ? Exporter.MERGED_DIR : null);
        n.put("attention", "bidirectional");
        n.set("decoder_config", JSON.readTree(model.decoder().config().toJson()));
        LoraConfig lora = model.lora();
        ObjectNode l = n.putObject("lora");
        l.put("r", lora.rank());
        l.put("alpha", lora.alpha());
        l.put("scaling", lora.scaling());
        LatentAttentionConfig h = model.latentHead().config();
        ObjectNode head = n.putObject("latent_attention");
        head.put("num_latents", h.numLatents());
        head.put("latent_dim", h.latentDim());
        head.put("heads", h.numHeads());
        head.put("head_dim", h.headDim());
        head.put("ff_mult", h.ffMult());
        head.put("gated", h.gated());
        head.put("layer_norm_eps", 1e-5);
        n.put(
                "pooling",
                "latent attention, then masked mean over non-BOS, non-instruction tokens,"
                        + " then L2 normalisation");
        n.put("query_template", TrainingContract.QUERY_TEMPLATE);
        n.put("document_template", "{document}");
        n.put("bos_token_id", model.decoder().config().bosTokenId());
        n.put("eos_token_id", model.decoder().config().eosTokenId());
        n.put("pad_token_id", 0);
        n.put("max_length", c.maxLength());
        n.put("temperature", c.temperature());
        ObjectNode ck = n.putObject("checkpoint");
        ck.put("folder", ckpt.folder().getFileName().toString());
        ck.put("stage", ckpt.state().stage());
        ck.put("stage_step", ckpt.state().stageStep());
        ck.put("global_step", ckpt.state().globalStep());
        ObjectNode ins = n.putObject("instructions");
        for (Map.Entry<String, Map<String, Long>> e : instructions.entrySet()) {
            ArrayNode a = ins.putArray(e.getKey());
            e.getValue().keySet().forEach(a::add);
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n);
    }
}
