package dev.emend.edit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.Fixtures;
import dev.emend.model.HfConfig;
import dev.emend.model.HookPoint;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelFamilies;
import dev.emend.model.ModelLoader;
import dev.emend.model.Orientation;
import dev.emend.model.WeightRef;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PEFT LoRA export: the file holds exactly Emend's factors under PEFT's keys and shapes, {@code B A} is the edit's Δ
 * (in the stored orientation: transposed for GPT-2's Conv1D), the config gives every module scaling 1, and what
 * cannot be an adapter is refused with a way out.
 */
class PeftAdapterTest {
    static final Map<String, LanguageModel> MODELS = new LinkedHashMap<>();

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() {
        for (String name : PeftCases.NAMES) {
            MODELS.put(name, ModelLoader.load(Fixtures.tiny(name)));
        }
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(LanguageModel::close);
    }

    /** @return B A [out,in] in double */
    static double[] product(PeftAdapter.Module m) {
        int out = (int) m.weight().outFeatures();
        int in = (int) m.weight().inFeatures();
        double[] p = new double[out * in];
        for (int o = 0; o < out; o++) {
            for (int k = 0; k < m.rank(); k++) {
                double b = m.b()[o * m.rank() + k];
                for (int i = 0; i < in; i++) {
                    p[o * in + i] += b * m.a()[k * in + i];
                }
            }
        }
        return p;
    }

    /** @return Σ over patches of L R for one parameter, [out,in] in double */
    static double[] sumOfUpdates(List<WeightDelta> patches, WeightRef w) {
        int out = (int) w.outFeatures();
        int in = (int) w.inFeatures();
        double[] sum = new double[out * in];
        for (WeightDelta d : patches) {
            if (!d.parameters().contains(w.name())) {
                continue;
            }
            WeightDelta.LowRank u = (WeightDelta.LowRank) d.update(w.name());
            for (int o = 0; o < out; o++) {
                for (int k = 0; k < u.rank(); k++) {
                    for (int i = 0; i < in; i++) {
                        sum[o * in + i] += (double) u.left()[o * u.rank() + k] * u.right()[k * in + i];
                    }
                }
            }
        }
        return sum;
    }

    static double maxAbsDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void factorsRoundTripExactlyAndBTimesAIsTheDelta(String name) {
        LanguageModel m = MODELS.get(name);
        Map<String, float[]> before = new LinkedHashMap<>();
        List<WeightDelta> patches = PeftCases.patches(m, name);
        patches.forEach(p -> p.parameters().forEach(n -> before.put(n, m.weights().get(n).toFloatArray())));
        EditSession session = PeftCases.apply(patches);
        try {
            PeftAdapter adapter = PeftCases.adapter(m, name, session);
            Path dir = adapter.write(tmp.resolve(name));
            Fixtures.Reference file = new Fixtures.Reference(dir.resolve(PeftAdapter.WEIGHTS_FILE));
            assertThat(adapter.modules()).hasSize(before.size());
            for (PeftAdapter.Module mod : adapter.modules()) {
                WeightRef w = mod.weight();
                assertThat(mod.keyA()).isEqualTo("base_model.model." + mod.name() + ".lora_A.weight");
                assertThat(file.shape(mod.keyA())).containsExactly(mod.rank(), w.inFeatures());
                assertThat(file.shape(mod.keyB())).containsExactly(w.outFeatures(), mod.rank());
                assertThat(file.floats(mod.keyA())).containsExactly(mod.a());
                assertThat(file.floats(mod.keyB())).containsExactly(mod.b());

                // the factors are Emend's own, concatenated in patch order: A = [R1; R2], B = [L1 | L2]
                List<WeightDelta.LowRank> parts = new ArrayList<>();
                patches.stream().filter(p -> p.parameters().contains(w.name()))
                        .forEach(p -> parts.add((WeightDelta.LowRank) p.update(w.name())));
                assertThat(mod.rank()).isEqualTo(parts.stream().mapToInt(WeightDelta.LowRank::rank).sum());
                int in = (int) w.inFeatures();
                int col = 0;
                for (WeightDelta.LowRank p : parts) {
                    float[] rows = java.util.Arrays.copyOfRange(mod.a(), col * in, (col + p.rank()) * in);
                    assertThat(rows).containsExactly(p.right());
                    for (int o = 0; o < w.outFeatures(); o++) {
                        for (int k = 0; k < p.rank(); k++) {
                            assertThat(mod.b()[o * mod.rank() + col + k]).isEqualTo(p.left()[o * p.rank() + k]);
                        }
                    }
                    col += p.rank();
                }

                // B A = Σ L R, and the weight moved by exactly that, in its stored orientation
                double[] ba = product(mod);                                                        // [out,in]
                assertThat(maxAbsDiff(ba, sumOfUpdates(patches, w))).isLessThan(1e-9);
                float[] after = m.weights().get(w.name()).toFloatArray();
                float[] was = before.get(w.name());
                int out = (int) w.outFeatures();
                double worst = 0;
                for (int o = 0; o < out; o++) {
                    for (int i = 0; i < in; i++) {
                        int at = w.orientation() == Orientation.OUT_IN ? o * in + i : i * out + o;
                        worst = Math.max(worst, Math.abs((double) after[at] - was[at] - ba[o * in + i]));
                    }
                }
                assertThat(worst).as("%s: stored W' - W vs (B A) in %s", mod.name(), w.orientation()).isLessThan(1e-5);
            }
        } finally {
            session.revertAll();
        }
    }

    @Test
    void configGivesEveryModuleScalingOne() throws IOException {
        LanguageModel gpt2 = MODELS.get("gpt2");
        EditSession session = PeftCases.apply(PeftCases.patches(gpt2, "gpt2"));
        try {
            Path dir = PeftAdapter.of(gpt2, session).write(tmp.resolve("gpt2"));
            JsonNode c = new ObjectMapper().readTree(dir.resolve(PeftAdapter.CONFIG_FILE).toFile());
            assertThat(c.get("peft_type").asText()).isEqualTo("LORA");
            assertThat(c.get("task_type").asText()).isEqualTo("CAUSAL_LM");
            assertThat(c.get("r").asInt()).isEqualTo(3);
            assertThat(c.get("lora_alpha").asInt()).isEqualTo(3);
            assertThat(c.get("fan_in_fan_out").asBoolean()).isTrue();
            assertThat(c.get("bias").asText()).isEqualTo("none");
            assertThat(c.get("lora_dropout").asDouble()).isZero();
            assertThat(c.get("use_rslora").asBoolean()).isFalse();
            assertThat(c.get("target_modules")).extracting(JsonNode::asText)
                    .containsExactly("transformer.h.1.mlp.c_proj", "transformer.h.0.attn.c_attn");
            assertThat(c.get("rank_pattern").get("transformer.h.1.mlp.c_proj").asInt()).isEqualTo(2);
            assertThat(c.get("alpha_pattern").get("transformer.h.1.mlp.c_proj").asInt()).isEqualTo(2);
            assertThat(c.get("rank_pattern").size()).isEqualTo(1);
            // by default the base model is the folder the model was loaded from
            assertThat(Path.of(c.get("base_model_name_or_path").asText())).isEqualTo(Fixtures.tiny("gpt2").normalize());
        } finally {
            session.revertAll();
        }
        LanguageModel llama = MODELS.get("llama");
        session = PeftCases.apply(PeftCases.patches(llama, "llama"));
        try {
            PeftAdapter a = PeftAdapter.of(llama, session);
            assertThat(a.fanInFanOut()).isFalse();
            assertThat(a.config().get("target_modules")).extracting(JsonNode::asText)
                    .containsExactly("model.layers.0.mlp.down_proj", "model.layers.1.self_attn.q_proj", "lm_head");
        } finally {
            session.revertAll();
        }
    }

    @Test
    void paddedLayoutHasOneRankAndTheSameProduct() {
        LanguageModel gpt2 = MODELS.get("gpt2");
        List<WeightDelta> patches = PeftCases.patches(gpt2, "gpt2");
        PeftAdapter.Builder b = PeftAdapter.builder(gpt2).optRankLayout(PeftAdapter.RankLayout.PADDED);
        patches.forEach(b::add);                          // unapplied patches export the same Δ
        PeftAdapter padded = b.build();
        PeftAdapter.Builder e = PeftAdapter.builder(gpt2);
        patches.forEach(e::add);
        PeftAdapter exact = e.build();
        assertThat(padded.modules()).allSatisfy(m -> assertThat(m.rank()).isEqualTo(3));
        ObjectNode c = padded.config();
        assertThat(c.get("r").asInt()).isEqualTo(3);
        assertThat(c.get("rank_pattern").size()).isZero();
        assertThat(c.get("alpha_pattern").size()).isZero();
        for (int i = 0; i < exact.modules().size(); i++) {
            assertThat(product(padded.modules().get(i))).containsExactly(product(exact.modules().get(i)));
        }
        PeftAdapter.Module cProj = padded.modules().get(0);
        for (int o = 0; o < cProj.weight().outFeatures(); o++) {
            assertThat(cProj.b()[o * 3 + 2]).isZero();    // the padded column of B
        }
        assertThat(gpt2.weights().modified()).isEmpty();
    }

    @Test
    void whatCannotBeAnAdapterIsRefusedWithAWayOut() {
        LanguageModel gpt2 = MODELS.get("gpt2");
        WeightRef w = gpt2.architecture().weight(HookPoint.Site.MLP_POST, 0);
        WeightDelta dense = WeightDelta.builder(gpt2)
                .add(new WeightDelta.Dense(w, new float[(int) (w.outFeatures() * w.inFeatures())])).build();
        assertThatThrownBy(() -> PeftAdapter.builder(gpt2).add(dense).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dense").hasMessageContaining("--save");
        WeightRef head = gpt2.architecture().layout().lmHead().weight();    // tied to wte
        WeightDelta tied = WeightDelta.builder(gpt2).add(WeightDelta.LowRank.outer(head, new float[(int) head.outFeatures()],
                new float[(int) head.inFeatures()])).build();
        assertThatThrownBy(() -> PeftAdapter.builder(gpt2).add(tied).build())
                .hasMessageContaining("tied").hasMessageContaining("Save the edited model");
        assertThatThrownBy(() -> PeftAdapter.builder(gpt2).build()).hasMessageContaining("at least one");
        assertThatThrownBy(() -> PeftAdapter.of(gpt2, new EditSession())).hasMessageContaining("apply an edit first");
    }

    @Test
    void modulePathsIncludeThePrefixABareCheckpointLeavesOut() throws IOException {
        ObjectMapper json = new ObjectMapper();
        for (String[] c : new String[][] {{"gpt2", "wte.weight", "transformer.h.1.mlp.c_proj"},
                {"llama", "embed_tokens.weight", "model.layers.1.mlp.down_proj"}}) {
            ObjectNode root = (ObjectNode) json.readTree(Fixtures.tiny(c[0]).resolve("config.json").toFile());
            var arch = ModelFamilies.forModelType(root.get("model_type").asText())
                    .create(new HfConfig(root, "config.json"), Set.of(c[1]));
            WeightRef down = arch.weight(HookPoint.Site.MLP_POST, 1);
            assertThat(down.name()).doesNotStartWith("transformer.").doesNotStartWith("model.");
            assertThat(arch.projectionModule(down)).isEqualTo(c[2]);
            assertThat(MODELS.get(c[0]).architecture().projectionModule(
                    MODELS.get(c[0]).architecture().weight(HookPoint.Site.MLP_POST, 1))).isEqualTo(c[2]);
        }
    }
}
