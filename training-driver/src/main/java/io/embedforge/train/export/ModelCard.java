package io.embedforge.train.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.embedforge.contract.TrainingContract;
import io.embedforge.train.loop.Checkpoints;
import io.embedforge.train.loop.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/** The model card ({@code README.md}) of an exported model: files, use, instructions. */
final class ModelCard {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelCard() {}

    /**
     * The Hugging Face metadata header's values that depend on the run.
     *
     * @param baseModel the base's Hugging Face id (its config's {@code _name_or_path} when that is
     *     an {@code owner/name} id), or null when not known (the seeded tiny base has none)
     * @param datasets the blend's sources (from its {@code manifest.json}), empty when not known
     */
    record Header(String baseModel, List<String> datasets) {

        /** Reads the base's config and the blend's manifest (either may be absent). */
        static Header of(TrainConfig c, Path blendDir) throws IOException {
            String base = null;
            Path cfg = Path.of(c.baseModel()).resolve("config.json");
            if (!"tiny".equals(c.baseModel()) && Files.exists(cfg)) {
                String id = JSON.readTree(cfg.toFile()).path("_name_or_path").asText("");
                base = id.matches("[A-Za-z0-9][\\w.-]*/[\\w.-]+") ? id : null;
            }
            TreeSet<String> sources = new TreeSet<>();
            Path manifest = blendDir == null ? null : blendDir.resolve("manifest.json");
            if (manifest != null && Files.exists(manifest)) {
                JsonNode m = JSON.readTree(manifest.toFile());
                m.path("config").path("sources").fieldNames().forEachRemaining(sources::add);
                m.path("blend")
                        .path("result")
                        .path("rows_in")
                        .fieldNames()
                        .forEachRemaining(sources::add);
            }
            return new Header(base, List.copyOf(sources));
        }
    }

    static String card(
            TrainConfig c,
            Checkpoints.Loaded ckpt,
            boolean tiny,
            boolean merged,
            Map<String, Map<String, Long>> instructions,
            Header header) {
        StringBuilder s = new StringBuilder();
        header(s, header);
        files(s, c, ckpt, tiny, merged);
        use(s, c, tiny);
        instructions(s, instructions);
        return s.toString();
    }

    /** The Hugging Face metadata (YAML front matter) the Hub and sentence-transformers read. */
    private static void header(StringBuilder s, Header h) {
        s.append("---\nlibrary_name: sentence-transformers\n");
        if (h.baseModel() != null) {
            s.append("base_model: ").append(h.baseModel()).append('\n');
        }
        s.append("pipeline_tag: sentence-similarity\ntags:\n");
        for (String t :
                List.of(
                        "sentence-transformers",
                        "feature-extraction",
                        "sentence-similarity",
                        "nv-embed",
                        "embedforge")) {
            s.append("- ").append(t).append('\n');
        }
        if (!h.datasets().isEmpty()) {
            s.append("datasets:\n");
            h.datasets().forEach(d -> s.append("- ").append(d).append('\n'));
        }
        s.append("---\n\n");
    }

    /** The title and the list of files. */
    private static void files(
            StringBuilder s, TrainConfig c, Checkpoints.Loaded ckpt, boolean tiny, boolean merged) {
        s.append(
                """
                # EmbedForge NV-Embed model

                Trained by EmbedForge (two-stage contrastive instruction tuning, NV-Embed recipe).
                Base model: `%s`. Checkpoint: stage %d, step %d (global step %d).

                ## Files

                - `adapter_config.json`, `adapter_model.safetensors`: PEFT LoRA (r 16, alpha 32) on
                  q, k, v, o, gate, up, down; keys as PEFT writes them
                  (`base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight`).
                - `latent_attention.safetensors`: the latent-attention pooling head, NV-Embed names
                  (`latent_attention_model.*`).
                - `embedforge.json`: base model, LoRA and head shapes, template, max length,
                  instructions, checkpoint (machine-readable version of this card).
                """
                        .formatted(
                                c.baseModel(),
                                ckpt.state().stage(),
                                ckpt.state().stageStep(),
                                ckpt.state().globalStep()));
        if (tiny) {
            s.append(
                    """
                    - `base/`: the base model. `tiny` is a seeded random Mistral (hidden 256,
                      2 layers, 4/2 heads of 64, vocab 30522) that exists nowhere else, so its
                      weights are exported here (`config.json`, `model.safetensors`) together with
                      its tokenizer (`tokenizer.json`, the E5-small-v2 WordPiece vocabulary;
                      `[CLS]`=101 is BOS, `[SEP]`=102 is EOS). It can also be rebuilt bit for bit
                      in Java with `NvEmbedModels.tiny(manager, spec, %d)` (model seed).
                    """
                            .formatted(c.modelSeed()));
        } else {
            s.append(
                    """
                    - The base model is not copied: load it from `%s` (the `config.json` and
                      safetensors the run was trained on) and put the adapter on top.
                    """
                            .formatted(c.baseModel()));
        }
        if (merged) {
            s.append(
                    """
                    - `merged/`: base weights with the adapter folded in (`W + (alpha/r) B A`,
                      float32), loadable with `AutoModelForCausalLM.from_pretrained` (no PEFT
                      needed; `lm_head` is absent and not used), plus the head.
                    """);
        }
    }

    /** How to load and call the model. */
    private static void use(StringBuilder s, TrainConfig c, boolean tiny) {
        s.append(
                """

                ## Use

                With sentence-transformers (this folder's `modules.json` and
                `modeling_embedforge.py`: tokenisation, the bidirectional decoder with the adapter
                folded in, latent-attention pooling without the instruction tokens, L2
                normalisation; no PEFT needed):

                ```python
                from sentence_transformers import SentenceTransformer
                model = SentenceTransformer("<this folder>", trust_remote_code=True)
                print(model.prompts)  # one prompt per task instruction used in training
                queries = model.encode(["what is X?"], prompt="Instruct: <instruction>\\nQuery: ")
                documents = model.encode(["X is ..."])  # documents carry no instruction
                ```

                With transformers + PEFT (the decoder alone):

                ```python
                from transformers import AutoModelForCausalLM
                from peft import PeftModel
                base = AutoModelForCausalLM.from_pretrained("%s", attn_implementation="eager")
                base.config.is_causal = False          # NV-Embed: bidirectional attention
                for layer in base.model.layers:
                    layer.self_attn.is_causal = False
                model = PeftModel.from_pretrained(base, "<this folder>").eval()
                hidden = model.base_model.model.model(input_ids=ids, attention_mask=mask).last_hidden_state
                ```

                `scripts/reference/check_export.py` in the EmbedForge repository is a complete,
                tested loader (tokenisation, latent-attention head, pooling).

                Inputs: queries as `%s`, documents as-is (no
                instruction). Token ids are BOS + text tokens + EOS (no other special tokens), text
                truncated to %d - 2 tokens, right-padded with 0. Pooling: the decoder's last hidden
                states go through the latent-attention head (cross-attention to 512 trainable
                latents, then a GEGLU feed-forward, both residual); the output is averaged over the
                pooling mask (attention mask with BOS and the instruction tokens, i.e. those
                ending at or before the end of `Instruct: ...\\nQuery: `, set to 0; a
                SentencePiece token such as `▁what` that starts on the prefix's trailing space is
                a query token and is pooled) and L2-normalised. Compare
                embeddings by cosine similarity (training temperature %s).
                """
                        .formatted(
                                tiny ? "<this folder>/base" : c.baseModel(),
                                TrainingContract.QUERY_TEMPLATE.replace("\n", "\\n"),
                                c.maxLength(),
                                c.temperature()));
    }

    /** The instructions of the blend the run trained on, per stage, with their rows. */
    private static void instructions(StringBuilder s, Map<String, Map<String, Long>> instructions) {
        s.append("\n## Instructions used in training\n\n");
        if (instructions.isEmpty()) {
            s.append(
                    "Not known (the run records no blend folder and `--blend` was not given).\n"
                            + "Use the template above with the task's instruction.\n");
        } else {
            for (Map.Entry<String, Map<String, Long>> e : instructions.entrySet()) {
                s.append("### ").append(e.getKey()).append("\n\n");
                s.append("| instruction | rows |\n| --- | --- |\n");
                for (Map.Entry<String, Long> i : e.getValue().entrySet()) {
                    String text =
                            i.getKey().isBlank() ? "(none: query embedded as is)" : i.getKey();
                    s.append(
                            String.format(
                                    Locale.ROOT,
                                    "| %s | %d |%n",
                                    text.replace("|", "\\|"),
                                    i.getValue()));
                }
                s.append('\n');
            }
        }
    }
}
