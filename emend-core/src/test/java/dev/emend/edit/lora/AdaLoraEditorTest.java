package dev.emend.edit.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.emend.ConfigException;
import dev.emend.EditException;
import dev.emend.Fixtures;
import dev.emend.config.ParamsLoader;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.EditTesting;
import dev.emend.edit.Editor;
import dev.emend.edit.Editors;
import dev.emend.edit.PeftAdapter;
import dev.emend.edit.WeightDelta;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.tensor.SafeTensors;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AdaLoRA on the tiny GPT-2 and Llama: EasyEdit's files and the {@code rank}/{@code init_r} quirk, PEFT's
 * initialisation (Λ = 0 leaves the model's loss bit-identical), the orthogonality penalty against hand-computed
 * values, the autograd gradient of P, Q and Λ against central differences, bit-exact revert, a diverging edit that
 * leaves the model untouched, and the committed factors {@code L = (s·P) ⊙ Λᵀ}, {@code R = Q} as a PEFT LoRA.
 */
class AdaLoraEditorTest {
    static LanguageModel model;
    static final EditRequest PARIS = LoraEditorTest.PARIS;
    static final EditRequest TWO = LoraEditorTest.TWO;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void load() {
        model = ModelLoader.load(Fixtures.tiny("gpt2"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static LoraEditor editor(String... replacements) {
        return new LoraEditor(model, LoraEditorTest.paramsOf("AdaLoRA", replacements), EditContext.defaults());
    }

    /** Layer 1, the given target modules, init_r 4 and lora_alpha 8: small adapters for exact checks. */
    static LoraEditor small(String targetModules, String... replacements) {
        List<String> r = new ArrayList<>(List.of("layers", "[1]", "lora_alpha", "8", "target_modules",
                targetModules + "\ninit_r: 4"));
        r.addAll(List.of(replacements));
        return editor(r.toArray(String[]::new));
    }

    private static LoraParams read(String yaml) {
        return ParamsLoader.read(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test", LoraParams.class);
    }

    @Test
    void easyEditFilesSelectAdaLoraAndIgnoreRank() {
        for (String name : List.of("gpt2-xl", "llama-7b", "fact-world")) {
            LoraParams p = read(Editors.bundledText("AdaLoRA", name).orElseThrow(() -> new AssertionError(name)));
            assertThat(p.algName()).isEqualTo("LoRA");
            assertThat(p.method()).isEqualTo("AdaLoRA");
            assertThat(p.adaLora()).isTrue();
            // EasyEdit's rank: 8 goes to PEFT's r, which AdaLoRA ignores: init_r = 12 decides
            assertThat(p.rank()).isEqualTo(8);
            assertThat(p.adapterRank()).isEqualTo(12);
            assertThat(p.scaling()).isEqualTo(32 / (12 + 1e-5));
            assertThat(p.orthRegWeight()).isEqualTo(0.5);
        }
        assertThat(read(Editors.bundledText("AdaLoRA", "gpt2-xl").orElseThrow()).targetModules()).containsExactly("c_attn");
        assertThat(Editors.standard().methods()).contains("LoRA", "AdaLoRA");
        // alg_name AdaLoRA needs no lora_type; init_r and orth_reg_weight may be given
        String own = Editors.bundledText("AdaLoRA", "fact-world").orElseThrow().replaceFirst("(?m)^lora_type:.*$", "")
                .replaceFirst("(?m)^alg_name:.*$", "alg_name: \"AdaLoRA\"\ninit_r: 4\north_reg_weight: 0.1");
        LoraParams p = read(own);
        assertThat(p.method()).isEqualTo("AdaLoRA");
        assertThat(p.adapterRank()).isEqualTo(4);
        assertThat(p.orthRegWeight()).isEqualTo(0.1);
        assertThatThrownBy(() -> read(own.replaceFirst("init_r: 4", "init_r: 4\nlora_type: \"lora\"")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("needs lora_type: adalora");
        assertThatThrownBy(() -> read(own.replaceFirst("init_r: 4", "init_r: 0"))).isInstanceOf(ConfigException.class);
        // PEFT's pruning schedule is not implemented, so its keys are refused
        assertThatThrownBy(() -> read(own.replaceFirst("init_r: 4", "init_r: 4\ntarget_r: 8")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("target_r");
    }

    @Test
    void paramsOfTheOtherMethodAreRefused() throws Exception {
        Path file = tmp.resolve("adalora.yaml");
        Files.writeString(file, Editors.bundledText("AdaLoRA", "fact-world").orElseThrow()
                .replaceFirst("(?m)^layers:.*$", "layers: [1]"));
        Editor ada = Editors.standard().create("AdaLoRA", model, file, EditContext.defaults());
        assertThat(ada.method()).isEqualTo("AdaLoRA");
        assertThatThrownBy(() -> Editors.standard().create("LoRA", model, file, EditContext.defaults()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("which is AdaLoRA");
    }

    @Test
    void initialisationIsPeftsAndLeavesTheLossBitIdentical() {
        LoraEditor ada = editor("layers", "[0, 1]", "target_modules", "[\"c_attn\", \"c_proj\", \"c_fc\"]");
        List<LoraEditor.Factors> init = ada.initialFactors();
        assertThat(init).hasSize(8);
        int r = LoraParams.DEFAULT_INIT_R;
        double sum = 0;
        double sq = 0;
        long n = 0;
        for (LoraEditor.Factors f : init) {
            assertThat(f.a()).hasSize(r * (int) f.target().weight().inFeatures());
            assertThat(f.b()).hasSize(r * (int) f.target().weight().outFeatures());
            assertThat(f.e()).hasSize(r).containsOnly(0f);
            for (float[] x : new float[][] {f.a(), f.b()}) {
                for (float v : x) {
                    sum += v;
                    sq += v * v;
                    n++;
                }
            }
        }
        double std = Math.sqrt(sq / n - (sum / n) * (sum / n));
        assertThat(std).isCloseTo(0.02, within(0.001));
        assertThat(Math.abs(sum / n)).isLessThan(0.001);
        assertThat(ada.initialFactors().get(3).b()).containsExactly(init.get(3).b());          // seeded
        // Λ = 0: the adapters add exactly zero, so the model's loss is bit-identical to the base model's
        List<EditRequest> reqs = List.of(PARIS, TWO);
        double base = ada.nll(reqs, List.of());
        assertThat(ada.nll(reqs, init)).isEqualTo(base);
        assertThat(ada.loss(reqs, List.of())).isEqualTo(base);
        // the training loss adds 0.5 · penalty; small P and Q make each ‖·ᵀ· − I‖_F a little under √r (Gram
        // diagonals ≈ 0.02² · d with d ≤ 256 here)
        double penalty = ada.orthogonality(init);
        assertThat(penalty).isBetween(0.85 * Math.sqrt(r), Math.sqrt(r));
        assertThat(ada.loss(reqs, init)).isCloseTo(base + 0.5 * penalty, within(1e-5));
    }

    @Test
    void orthogonalityPenaltyMatchesHandComputation() {
        LoraEditor ada = small("[\"c_attn\", \"mlp.c_proj\"]");
        assertThat(ada.orthogonality(List.of())).isZero();
        // Q = c·[I_4 | 0] and P = d·[I_4; 0] give QQᵀ = c²I and PᵀP = d²I: ‖·‖_F = |c² − 1|·√4
        List<LoraEditor.Factors> f = new ArrayList<>();
        double[][] cd = {{2, 3}, {0.5, 1}};
        for (int t = 0; t < 2; t++) {
            LoraTargets.Target target = ada.targets().get(t);
            int in = (int) target.weight().inFeatures();
            float[] q = new float[4 * in];
            float[] p = new float[(int) target.weight().outFeatures() * 4];
            for (int k = 0; k < 4; k++) {
                q[k * in + k] = (float) cd[t][0];
                p[k * 4 + k] = (float) cd[t][1];
            }
            f.add(new LoraEditor.Factors(target, q, p, new float[4]));
        }
        // (|4 − 1|·2 + |9 − 1|·2 + |0.25 − 1|·2 + |1 − 1|·2) / 4 matrices = (6 + 16 + 1.5 + 0) / 4
        assertThat(ada.orthogonality(f)).isEqualTo(5.875);
        // random factors against a float64 transcription of PEFT's loop
        Random rnd = new Random(3);
        List<LoraEditor.Factors> g = new ArrayList<>();
        double expected = 0;
        for (LoraEditor.Factors x : f) {
            float[] q = gaussian(x.a().length, 0.3, rnd);
            float[] p = gaussian(x.b().length, 0.3, rnd);
            g.add(new LoraEditor.Factors(x.target(), q, p, new float[4]));
            expected += frobeniusOfGramMinusI(q, 4, x.a().length / 4, true) + frobeniusOfGramMinusI(p, x.b().length / 4, 4, false);
        }
        expected /= 4;
        System.out.printf("AdaLoRA orthogonality: Emend %.7f, float64 oracle %.7f%n", ada.orthogonality(g), expected);
        assertThat(ada.orthogonality(g)).isCloseTo(expected, within(1e-5 * expected));
        // and the loss adds orth_reg_weight times it
        List<EditRequest> reqs = List.of(PARIS);
        assertThat(ada.loss(reqs, g) - ada.nll(reqs, g)).isCloseTo(0.5 * expected, within(1e-4));
    }

    /** ‖MMᵀ − I‖_F for M [rows, cols] when rowGram, else ‖MᵀM − I‖_F, in float64. */
    private static double frobeniusOfGramMinusI(float[] m, int rows, int cols, boolean rowGram) {
        int k = rowGram ? rows : cols;
        double s = 0;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                double dot = 0;
                for (int x = 0; x < (rowGram ? cols : rows); x++) {
                    dot += rowGram ? (double) m[i * cols + x] * m[j * cols + x] : (double) m[x * cols + i] * m[x * cols + j];
                }
                double d = dot - (i == j ? 1 : 0);
                s += d * d;
            }
        }
        return Math.sqrt(s);
    }

    private static float[] gaussian(int n, double std, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (std * rnd.nextGaussian());
        }
        return x;
    }

    @Test
    void gradientOfPQAndLambdaMatchesCentralDifferences() {
        LoraEditor ada = small("[\"c_attn\", \"mlp.c_proj\"]");
        // away from the initialisation, so that the model loss and the penalty both bend every factor
        Random rnd = new Random(11);
        List<LoraEditor.Factors> f = new ArrayList<>();
        for (LoraEditor.Factors x : ada.initialFactors()) {
            f.add(new LoraEditor.Factors(x.target(), gaussian(x.a().length, 0.2, rnd), gaussian(x.b().length, 0.2, rnd),
                    gaussian(4, 0.5, rnd)));
        }
        assertThat(LoraEditorTest.checkAgainstCentralDifferences(ada, List.of(PARIS, TWO), f)).isEqualTo(18);
    }

    /**
     * Against PEFT itself ({@code golden/adalora/tiny-gpt2}, written by {@code tools/reference/adalora_reference.py}):
     * from the same P, Q and Λ on the tiny GPT-2 (init_r 4, α 8, c_attn and mlp.c_proj of layer 1), the loss with
     * PEFT's orthogonality penalty, the cross entropy alone, the gradient of every factor, and four Adam steps
     * (2 epochs × 2 requests, lr 5e-3): every step's loss and the final factors.
     */
    @Test
    void matchesPeftAdaLoraLossGradientAndTraining() {
        Path file = Fixtures.root().getParent().resolve("golden/adalora/tiny-gpt2/adalora.safetensors");
        SafeTensors.Header h = SafeTensors.readHeader(file);
        LoraEditor ada = small("[\"c_attn\", \"mlp.c_proj\"]", "num_steps", "2", "batch_size", "1", "lr", "5e-3");
        List<EditRequest> reqs = List.of(PARIS, TWO);
        try (NDManager m = model.manager().newSubManager()) {
            Function<String, float[]> golden = key -> SafeTensors.load(m, h, h.find(key), DataType.FLOAT32).toFloatArray();
            for (int i = 0; i < reqs.size(); i++) {
                LoraEditor.Example e = ada.example(reqs.get(i));
                assertThat(toFloats(e.prompt())).as("prompt ids").containsExactly(golden.apply("request" + i + ".prompt"));
                assertThat(toFloats(e.target())).as("target ids").containsExactly(golden.apply("request" + i + ".target"));
            }
            List<LoraEditor.Factors> start = new ArrayList<>();
            for (LoraTargets.Target t : ada.targets()) {
                String k = t.module() + ".lora_";
                start.add(new LoraEditor.Factors(t, golden.apply(k + "A"), golden.apply(k + "B"), golden.apply(k + "E")));
            }
            double loss = golden.apply("start.loss")[0];
            System.out.printf("AdaLoRA vs PEFT: loss %.7f / %.7f, cross entropy %.7f / %.7f%n", ada.loss(reqs, start), loss,
                    ada.nll(reqs, start), golden.apply("start.nll")[0]);
            assertThat(ada.loss(reqs, start)).isCloseTo(loss, within(1e-5 * loss));
            assertThat(ada.nll(reqs, start)).isCloseTo(golden.apply("start.nll")[0], within(1e-5 * loss));
            LoraEditor.Gradient g = ada.gradient(reqs, start);
            for (int t = 0; t < start.size(); t++) {
                String k = "start.grad." + ada.targets().get(t).module() + ".lora_";
                assertClose("∂/∂A " + t, g.a().get(t), golden.apply(k + "A"), 1e-4);
                assertClose("∂/∂B " + t, g.b().get(t), golden.apply(k + "B"), 1e-4);
                assertClose("∂/∂E " + t, g.e().get(t), golden.apply(k + "E"), 1e-4);
            }
            LoraEditor.Computation c = ada.compute(reqs, start);
            float[] losses = golden.apply("train.loss");
            assertThat(c.batchLoss()).hasSize(losses.length);
            for (int i = 0; i < losses.length; i++) {
                assertThat(c.batchLoss().get(i)).as("step %d loss", i).isCloseTo(losses[i], within(1e-5 * losses[i]));
            }
            for (int t = 0; t < start.size(); t++) {
                LoraEditor.Factors f = c.factors().get(t);
                String k = "train." + f.target().module() + ".lora_";
                assertClose("trained A " + t, f.a(), golden.apply(k + "A"), 1e-4);
                assertClose("trained B " + t, f.b(), golden.apply(k + "B"), 1e-4);
                assertClose("trained E " + t, f.e(), golden.apply(k + "E"), 1e-4);
            }
        }
    }

    private static float[] toFloats(int[] ids) {
        float[] out = new float[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = ids[i];
        }
        return out;
    }

    /** max |got − want| ≤ tol · max |want|, printed as maxdiff. */
    private static void assertClose(String what, float[] got, float[] want, double tol) {
        assertThat(got).as(what).hasSameSizeAs(want);
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < got.length; i++) {
            diff = Math.max(diff, Math.abs(got[i] - want[i]));
            scale = Math.max(scale, Math.abs(want[i]));
        }
        System.out.printf("AdaLoRA vs PEFT %s: maxdiff %.3e (max |value| %.3e)%n", what, diff, scale);
        assertThat(diff).as(what).isLessThanOrEqualTo(tol * scale);
    }

    @Test
    void editLowersTheLossAndRevertsBitExactly() {
        Map<String, Double> stats = LoraEditorTest.assertEditLowersTheLossAndReverts(model, editor("num_steps", "10",
                "layers", "[1, 2]"), 10);
        assertThat(stats).containsEntry("rank", 12.0).containsKey("orthogonality");
    }

    @Test
    void divergingEditThrowsAndLeavesTheModelUnchanged() {
        LoraEditorTest.assertDivergingEditLeavesTheModelUnchanged(model, editor("lr", "1e30", "num_steps", "5"));
    }

    @Test
    void committedFactorsAreScaledPLambdaAndQAndExportAsPeftLora() {
        LoraEditor ada = editor("num_steps", "3", "layers", "[2]");
        LoraEditor.Computation c = ada.compute(List.of(PARIS));
        double trained = ada.nll(List.of(PARIS), c.factors());
        EditResult r = ada.apply(PARIS);
        try {
            // the model now computes what training computed with the adapters
            assertThat(ada.nll(List.of(PARIS), List.of())).isCloseTo(trained, within(1e-5));
            WeightDelta d = (WeightDelta) r.patch();
            PeftAdapter adapter = PeftAdapter.builder(model).add(d).build();
            assertThat(adapter.modules()).hasSize(c.factors().size());
            float s = (float) ada.params().scaling();
            int rank = ada.params().adapterRank();
            try (NDManager m = model.manager().newSubManager()) {
                for (int i = 0; i < c.factors().size(); i++) {
                    LoraEditor.Factors f = c.factors().get(i);
                    PeftAdapter.Module mod = adapter.modules().get(i);
                    assertThat(mod.rank()).isEqualTo(12);
                    assertThat(f.e()).isNotEqualTo(new float[rank]);                  // Λ trained away from 0
                    assertThat(mod.a()).containsExactly(f.a());                       // lora_A = Q
                    float[] left = new float[f.b().length];
                    for (int k = 0; k < left.length; k++) {
                        left[k] = f.b()[k] * s * f.e()[k % rank];                     // lora_B = (s·P) ⊙ Λᵀ
                    }
                    assertThat(mod.b()).containsExactly(left);
                    // Δ = s · P diag(Λ) Q in float64
                    NDArray delta = d.update(f.target().weight().name()).toMath(m);
                    float[] got = delta.toFloatArray();
                    int in = (int) f.target().weight().inFeatures();
                    for (int o = 0; o < got.length / in; o += 7) {
                        for (int j = 0; j < in; j += 5) {
                            double want = 0;
                            for (int k = 0; k < rank; k++) {
                                want += (double) s * f.b()[o * rank + k] * f.e()[k] * f.a()[k * in + j];
                            }
                            assertThat((double) got[o * in + j]).isCloseTo(want, within(1e-6 + 1e-5 * Math.abs(want)));
                        }
                    }
                }
            }
        } finally {
            r.patch().revert();
        }
    }

    @Test
    void llamaParamsAdaptQAndVOfEveryLayerAndRevert() {
        try (LanguageModel llama = ModelLoader.load(Fixtures.tiny("llama"))) {
            LoraParams p = read(Editors.bundledText("AdaLoRA", "llama-7b").orElseThrow()
                    .replaceFirst("(?m)^num_steps:.*$", "num_steps: 5"));
            LoraEditor ada = new LoraEditor(llama, p, EditContext.defaults());
            assertThat(ada.method()).isEqualTo("AdaLoRA");
            assertThat(ada.targets()).hasSize(2 * llama.architecture().config().numLayers());
            LoraEditorTest.assertEditLowersTheLossAndReverts(llama, ada, 5);
        }
    }
}
