package dev.emend.edit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.EmendException;
import dev.emend.model.Architecture;
import dev.emend.model.LanguageModel;
import dev.emend.model.Orientation;
import dev.emend.model.WeightRef;
import dev.emend.tensor.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Low-rank weight edits as a PEFT LoRA adapter: an {@code adapter_config.json} and an
 * {@code adapter_model.safetensors} that {@code PeftModel.from_pretrained} (and vLLM, and llama.cpp after
 * {@code convert_lora_to_gguf.py}) apply to the unedited base model.
 *
 * <p>PEFT adds {@code scaling · B A x} to a module's output with {@code A = lora_A.weight} [r, in],
 * {@code B = lora_B.weight} [out, r] and {@code scaling = lora_alpha / r}, in maths orientation for every module type
 * (for GPT-2's {@code Conv1D}, stored [in, out], {@code fan_in_fan_out} only transposes {@code B A} when merging;
 * peft/tuners/lora/layer.py). A {@link WeightDelta.LowRank} update {@code Δ = L R} therefore goes in unchanged:
 * {@code B = L}, {@code A = R}, with {@code lora_alpha = r} so that the scaling is exactly 1. Several updates of one
 * parameter (an {@link EditSession}'s history, {@link Editor#applyAll}) are summed by concatenating factors, so the
 * rank adds up.
 *
 * <p>Modules of different rank: with {@link RankLayout#PER_MODULE} the config's {@code r} and {@code lora_alpha} are
 * the largest rank and {@code rank_pattern}/{@code alpha_pattern} give every other module its own rank as both
 * values (scaling 1 in PEFT; vLLM reads only the global {@code lora_alpha / r}, also 1). llama.cpp divides the global
 * alpha by each tensor's own rank, so for it use {@link RankLayout#PADDED}: every module is padded with zero rows of
 * {@code A} and zero columns of {@code B} to the largest rank, which leaves {@code B A} unchanged.
 *
 * <p>Dense updates have no factors and are refused: save the edited model instead. The adapter holds only Java
 * arrays; no native memory.
 */
public final class PeftAdapter {
    /** The adapter config's file name. */
    public static final String CONFIG_FILE = "adapter_config.json";

    /** The adapter weights' file name. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    /** How adapter keys start for a {@code CAUSAL_LM} PEFT model: {@code PeftModel.base_model.model}. */
    static final String KEY_PREFIX = "base_model.model.";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** How modules whose updates have different ranks are written. */
    public enum RankLayout {
        /** Each module keeps its rank; {@code rank_pattern}/{@code alpha_pattern} name the ones below {@code r}. */
        PER_MODULE,
        /** Every module is zero-padded to the largest rank: no patterns, for readers that ignore them. */
        PADDED
    }

    /**
     * One adapted module.
     *
     * @param name the HF module path, e.g. {@code transformer.h.1.mlp.c_proj}
     * @param weight the parameter it changes
     * @param rank r of this module's factors
     * @param a {@code lora_A.weight} [r, in], row-major (Emend's right factor R)
     * @param b {@code lora_B.weight} [out, r], row-major (Emend's left factor L)
     */
    public record Module(String name, WeightRef weight, int rank, float[] a, float[] b) {
        /** Checks the factor sizes. */
        public Module {
            Objects.requireNonNull(name, "name");
            if (rank < 1 || a.length != rank * weight.inFeatures() || b.length != weight.outFeatures() * rank) {
                throw new IllegalArgumentException("factors of %s must be [%d,%d] and [%d,%d], got %d and %d values"
                        .formatted(name, rank, weight.inFeatures(), weight.outFeatures(), rank, a.length, b.length));
            }
        }

        /** @return the safetensors key of {@code A}, {@code base_model.model.<module>.lora_A.weight} */
        public String keyA() {
            return KEY_PREFIX + name + ".lora_A.weight";
        }

        /** @return the safetensors key of {@code B}, {@code base_model.model.<module>.lora_B.weight} */
        public String keyB() {
            return KEY_PREFIX + name + ".lora_B.weight";
        }

        /** @return this module zero-padded to rank {@code r} ({@code B A} unchanged) */
        Module padTo(int r) {
            if (r == rank) {
                return this;
            }
            int in = (int) weight.inFeatures();
            int out = (int) weight.outFeatures();
            float[] pa = new float[r * in];                      // [r,in]: A's rows, then zero rows
            System.arraycopy(a, 0, pa, 0, a.length);
            float[] pb = new float[out * r];                     // [out,r]: B's columns, then zero columns
            for (int o = 0; o < out; o++) {
                System.arraycopy(b, o * rank, pb, o * r, rank);
            }
            return new Module(name, weight, r, pa, pb);
        }
    }

    private final List<Module> modules;
    private final String baseModel;
    private final RankLayout layout;

    private PeftAdapter(List<Module> modules, String baseModel, RankLayout layout) {
        this.modules = modules;
        this.baseModel = baseModel;
        this.layout = layout;
    }

    /**
     * Starts an adapter for edits of {@code model}.
     *
     * @param model the model the edits were computed on; names the modules and the base model
     * @return a builder
     */
    public static Builder builder(LanguageModel model) {
        return new Builder(model);
    }

    /**
     * The adapter of every edit in a session (oldest first), equal to the session's net change of the weights.
     *
     * @param model the session's model
     * @param session applied edits
     * @return the adapter
     * @throws IllegalArgumentException if the session is empty or holds a dense update
     */
    public static PeftAdapter of(LanguageModel model, EditSession session) {
        return builder(model).addAll(session).build();
    }

    /** Collects updates and options; setX/optX per the DJL guideline. */
    public static final class Builder {
        private final Architecture architecture;
        private final Map<String, WeightDelta.Update> updates = new LinkedHashMap<>();
        private String baseModel;
        private RankLayout layout = RankLayout.PER_MODULE;

        private Builder(LanguageModel model) {
            this.architecture = model.architecture();
            Path source = model.source();
            this.baseModel = source != null && Files.isDirectory(source) ? source.toAbsolutePath().normalize().toString()
                    : null;
        }

        /**
         * Adds every update of a patch; updates of a parameter already added are summed (factors concatenated).
         * Whether the patch is applied does not matter: the adapter is its Δ.
         *
         * @param delta a weight patch of the builder's model
         * @return this builder
         */
        public Builder add(WeightDelta delta) {
            for (String name : delta.parameters()) {
                updates.merge(name, delta.update(name), WeightDelta.Update::plus);
            }
            return this;
        }

        /**
         * Adds the patch of every edit in the session, oldest first.
         *
         * @param session the edits
         * @return this builder
         */
        public Builder addAll(EditSession session) {
            for (EditResult r : session.history()) {
                add(asWeightDelta(r.patch()));
            }
            return this;
        }

        /**
         * Sets {@code base_model_name_or_path}: a Hub id or a folder. The default is the model's folder (absolute), or
         * none for a model read from a GGUF file.
         *
         * @param name the base model, or null to leave it out
         * @return this builder
         */
        public Builder optBaseModel(String name) {
            this.baseModel = name;
            return this;
        }

        /**
         * @param rankLayout how modules of different rank are written (default {@link RankLayout#PER_MODULE})
         * @return this builder
         */
        public Builder optRankLayout(RankLayout rankLayout) {
            this.layout = Objects.requireNonNull(rankLayout, "rankLayout");
            return this;
        }

        /**
         * @return the adapter
         * @throws IllegalArgumentException if nothing was added, an update is dense, or its parameter is no
         *     projection an adapter can target
         */
        public PeftAdapter build() {
            if (updates.isEmpty()) {
                throw new IllegalArgumentException("an adapter needs at least one weight update; apply an edit first");
            }
            List<Module> out = new ArrayList<>();
            Orientation orientation = null;
            for (WeightDelta.Update u : updates.values()) {
                if (!(u instanceof WeightDelta.LowRank lr)) {
                    throw new IllegalArgumentException(("the update of %s is dense (‖Δ‖ = %.4g); a LoRA adapter needs "
                            + "low-rank factors. Save the edited model instead (emend edit --save DIR, or ModelSaver.save)")
                            .formatted(u.weight().name(), u.norm()));
                }
                WeightRef w = lr.weight();
                if (orientation != null && w.orientation() != orientation) {
                    throw new IllegalArgumentException(("the updates mix Conv1D ([in,out]) and Linear ([out,in]) "
                            + "weights (%s is %s); PEFT's fan_in_fan_out is one flag per adapter. Export them as two "
                            + "adapters").formatted(w.name(), w.orientation()));
                }
                orientation = w.orientation();
                // Δ = L R with L [out,r] and R [r,in]: B = L, A = R, copied so the adapter owns its values
                out.add(new Module(architecture.projectionModule(w), w, lr.rank(), lr.right().clone(), lr.left().clone()));
            }
            if (layout == RankLayout.PADDED) {
                int r = out.stream().mapToInt(Module::rank).max().orElseThrow();
                out.replaceAll(m -> m.padTo(r));
            }
            return new PeftAdapter(Collections.unmodifiableList(out), baseModel, layout);
        }
    }

    private static WeightDelta asWeightDelta(ModelPatch patch) {
        if (patch instanceof WeightDelta d) {
            return d;
        }
        throw new IllegalArgumentException(patch.getClass().getSimpleName() + " is not a weight edit; only weight "
                + "edits (ROME, MEMIT, ...) become LoRA adapters");
    }

    /** @return the adapted modules, in the order their parameters were first added */
    public List<Module> modules() {
        return modules;
    }

    /** @return the config's {@code r}: the largest module rank */
    public int rank() {
        return modules.stream().mapToInt(Module::rank).max().orElseThrow();
    }

    /** @return {@code fan_in_fan_out}: true when the modules are GPT-2 {@code Conv1D} (stored [in, out]) */
    public boolean fanInFanOut() {
        return modules.get(0).weight().orientation() == Orientation.IN_OUT;
    }

    /** @return the rank layout */
    public RankLayout rankLayout() {
        return layout;
    }

    /** @return the contents of {@code adapter_config.json} */
    public ObjectNode config() {
        int r = rank();
        ObjectNode c = JSON.createObjectNode();
        c.put("peft_type", "LORA");
        c.put("task_type", "CAUSAL_LM");
        if (baseModel == null) {
            c.putNull("base_model_name_or_path");
        } else {
            c.put("base_model_name_or_path", baseModel);
        }
        c.put("r", r);
        c.put("lora_alpha", r);                       // scaling = lora_alpha / r = 1
        c.put("lora_dropout", 0.0);
        c.put("bias", "none");
        c.put("fan_in_fan_out", fanInFanOut());
        c.put("use_rslora", false);
        c.put("use_dora", false);
        c.put("init_lora_weights", true);
        c.put("inference_mode", true);
        c.putNull("modules_to_save");
        ArrayNode targets = c.putArray("target_modules");
        ObjectNode ranks = c.putObject("rank_pattern");
        ObjectNode alphas = c.putObject("alpha_pattern");
        for (Module m : modules) {
            targets.add(m.name());
            if (m.rank() != r) {
                // PEFT matches pattern keys as regexes against the module path's end; a full path is one module
                ranks.put(m.name(), m.rank());
                alphas.put(m.name(), m.rank());
            }
        }
        return c;
    }

    /**
     * Writes {@code adapter_config.json} and {@code adapter_model.safetensors} (float32, the factors exactly) into a
     * folder, created if needed; existing files of those names are replaced.
     *
     * @param dir the adapter folder
     * @return the folder
     */
    public Path write(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(CONFIG_FILE), JSON.writeValueAsString(config()) + "\n");
        } catch (IOException e) {
            throw new EmendException("cannot write the adapter to %s: %s; check the folder is writable"
                    .formatted(dir, e.getMessage()), e);
        }
        List<SafeTensors.FloatTensor> tensors = new ArrayList<>();
        for (Module m : modules) {
            tensors.add(new SafeTensors.FloatTensor(m.keyA(), new long[] {m.rank(), m.weight().inFeatures()}, m.a()));
            tensors.add(new SafeTensors.FloatTensor(m.keyB(), new long[] {m.weight().outFeatures(), m.rank()}, m.b()));
        }
        SafeTensors.writeFloats(dir.resolve(WEIGHTS_FILE), tensors, Map.of("format", "pt"));
        return dir;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("PeftAdapter[r=").append(rank());
        modules.forEach(m -> sb.append(' ').append(m.name()).append(":r").append(m.rank()));
        return sb.append(']').toString();
    }
}
