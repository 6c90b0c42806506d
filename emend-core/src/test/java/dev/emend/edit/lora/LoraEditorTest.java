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
import dev.emend.edit.Editors;
import dev.emend.edit.PeftAdapter;
import dev.emend.edit.WeightDelta;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.tensor.SafeTensors;
import dev.emend.tensor.Tensors;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA on the tiny GPT-2: params and target selection, zero-initialised B leaves the model's outputs unchanged
 * (algorithms §17.11f), the autograd gradient of A and B against central differences, bit-exact revert, a diverging
 * edit that leaves the model untouched, and the PEFT export of the committed factors.
 */
class LoraEditorTest {
    static LanguageModel model;
    static final EditRequest PARIS = EditRequest.of("{} is in the city of", "Eiffel Tower", "Rome");
    static final EditRequest TWO = EditRequest.of("The capital of {} is", "France", "the big city");

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

    /** The bundled fact-world LoRA file (GPT-2 names) on layer 1 and every c_proj, with some values replaced. */
    static LoraParams params(String... replacements) {
        return paramsOf("LoRA", replacements);
    }

    /** A method's bundled fact-world file (GPT-2 names) on layer 1 and every c_proj, with some values replaced. */
    static LoraParams paramsOf(String method, String... replacements) {
        String yaml = Editors.bundledText(method, "fact-world").orElseThrow()
                .replaceFirst("(?m)^layers:.*$", "layers: [1]")                       // the tiny model has 3 layers
                .replaceFirst("(?m)^target_modules:.*$", "target_modules: [\"c_proj\"]");
        for (int i = 0; i < replacements.length; i += 2) {
            yaml = yaml.replaceFirst("(?m)^" + replacements[i] + ":.*$", replacements[i] + ": " + replacements[i + 1]);
        }
        return ParamsLoader.read(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), method, LoraParams.class);
    }

    static LoraEditor editor(String... replacements) {
        return new LoraEditor(model, params(replacements), EditContext.defaults());
    }

    @Test
    void bundledFilesLoadAndBadValuesAreRefused() {
        for (String name : List.of("llama-7b", "fact-world")) {
            String yaml = Editors.bundledText("LoRA", name).orElseThrow(() -> new AssertionError(name));
            LoraParams p = ParamsLoader.read(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), name, LoraParams.class);
            assertThat(p.method()).isEqualTo("LoRA");
            assertThat(p.loraType()).isEqualTo("lora");
        }
        LoraParams llama = ParamsLoader.read(new ByteArrayInputStream(Editors.bundledText("LoRA", "llama-7b").orElseThrow()
                .getBytes(StandardCharsets.UTF_8)), "llama", LoraParams.class);
        assertThat(llama.targetModules()).containsExactly("q_proj", "v_proj");
        assertThat(llama.scaling()).isEqualTo(4.0);
        assertThat(llama.layers()).isEmpty();
        assertThat(Editors.standard().methods()).contains("LoRA");
        assertThat(params("lora_type", "\"adalora\"").method()).isEqualTo("AdaLoRA");
        assertThatThrownBy(() -> params("lora_type", "\"lora\"\ninit_r: 4")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("AdaLoRA keys");
        assertThatThrownBy(() -> params("lora_type", "\"dora\"")).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> params("kl_factor", "0.5")).isInstanceOf(ConfigException.class).hasMessageContaining("no KL");
        assertThatThrownBy(() -> params("norm_constraint", "5e-4")).isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> params("alg_name", "\"FT\"")).isInstanceOf(ConfigException.class);
    }

    @Test
    void targetModulesMatchLikePeft() {
        assertThat(editor("layers", "[1]").targets()).extracting(LoraTargets.Target::module)
                .containsExactly("transformer.h.1.attn.c_proj", "transformer.h.1.mlp.c_proj");
        List<LoraTargets.Target> all = editor("layers", "[]", "target_modules", "[\"c_attn\"]").targets();
        assertThat(all).hasSize(model.architecture().config().numLayers());
        assertThat(all.get(0).module()).isEqualTo("transformer.h.0.attn.c_attn");
        assertThat(editor("layers", "[0]", "target_modules", "[\"mlp.c_proj\"]").targets()).extracting(LoraTargets.Target::module)
                .containsExactly("transformer.h.0.mlp.c_proj");
        assertThatThrownBy(() -> editor("target_modules", "[\"q_proj\"]")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'q_proj' matches no projection");
    }

    @Test
    void zeroInitialisedBLeavesOutputsUnchanged() {
        LoraEditor lora = editor("layers", "[0, 1]", "target_modules", "[\"c_attn\", \"c_proj\", \"c_fc\"]");
        List<LoraEditor.Factors> init = lora.initialFactors();
        assertThat(init).hasSize(8);                    // c_proj is attn.c_proj and mlp.c_proj
        for (LoraEditor.Factors f : init) {
            double bound = 1 / Math.sqrt(f.target().weight().inFeatures());
            assertThat(f.b()).containsOnly(0f);
            float max = 0;
            for (float a : f.a()) {
                max = Math.max(max, Math.abs(a));
            }
            assertThat((double) max).isLessThanOrEqualTo(bound).isGreaterThan(0.9 * bound);
        }
        // seeded: the same factors twice
        assertThat(lora.initialFactors().get(0).a()).containsExactly(init.get(0).a());
        List<EditRequest> reqs = List.of(PARIS, TWO);
        assertThat(lora.loss(reqs, init)).isEqualTo(lora.loss(reqs, List.of()));
    }

    @Test
    void gradientOfAAndBMatchesCentralDifferences() {
        LoraEditor lora = editor("layers", "[1]", "target_modules", "[\"c_attn\", \"mlp.c_proj\"]", "rank", "4", "lora_alpha", "8");
        List<EditRequest> reqs = List.of(PARIS, TWO);
        Random rnd = new Random(7);
        List<LoraEditor.Factors> f = new ArrayList<>();
        for (LoraEditor.Factors x : lora.initialFactors()) {
            float[] b = x.b().clone();
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) (0.2 * rnd.nextGaussian());
            }
            f.add(new LoraEditor.Factors(x.target(), x.a(), b));
        }
        assertThat(checkAgainstCentralDifferences(lora, reqs, f)).isEqualTo(12);
    }

    /**
     * Compares the autograd gradient of the loss with central differences (h = 1e-3, relative error < 1e-2) at the
     * three largest entries of every factor (A, B and, for AdaLoRA, Λ) of every adapter.
     *
     * @return the number of entries checked
     */
    static int checkAgainstCentralDifferences(LoraEditor lora, List<EditRequest> reqs, List<LoraEditor.Factors> f) {
        LoraEditor.Gradient g = lora.gradient(reqs, f);
        assertThat(g.loss()).isCloseTo(lora.loss(reqs, f), within(1e-5 * Math.abs(g.loss())));
        double h = 1e-3;
        int checked = 0;
        for (int t = 0; t < f.size(); t++) {
            List<float[]> grads = List.of(g.a().get(t), g.b().get(t), g.e().get(t));
            for (int k = 0; k < 3; k++) {
                float[] grad = grads.get(k);
                String name = "%s %s".formatted(f.get(t).target().module(), FACTOR_NAMES[k]);
                // the three largest entries, where float32 differences are meaningful; the error is measured against
                // the factor's largest gradient, since a float32 loss of ~5 moved by h = 1e-3 carries ~1e-3 of
                // rounding noise in the difference quotient whatever the entry (a small Λ gradient of 0.08 would
                // otherwise fail on noise alone)
                int[] top = IntStream.range(0, grad.length).boxed()
                        .sorted(Comparator.comparingDouble(i -> -Math.abs(grad[i]))).limit(3).mapToInt(i -> i).toArray();
                if (top.length == 0) {
                    continue;                                                       // LoRA has no Λ
                }
                double scale = Math.max(Math.abs(grad[top[0]]), 1e-12);
                for (int i : top) {
                    double plus = lora.loss(reqs, bump(f, t, k, i, h));
                    double minus = lora.loss(reqs, bump(f, t, k, i, -h));
                    double fd = (plus - minus) / (2 * h);
                    double rel = Math.abs(fd - grad[i]) / scale;
                    System.out.printf("%s gradient check %s[%d]: autograd %.6g, central difference %.6g, error / max %.2e%n",
                            lora.method(), name, i, grad[i], fd, rel);
                    assertThat(rel).as("%s[%d]", name, i).isLessThan(1e-2);
                    checked++;
                }
            }
        }
        return checked;
    }

    private static final String[] FACTOR_NAMES = {"A", "B", "E"};

    private static float[] floats(String name) {
        try (NDManager m = model.manager().newSubManager()) {
            return Tensors.convert(model.weights().get(name), DataType.FLOAT32, m).toFloatArray();
        }
    }

    /** f with entry i of factor k (0 A, 1 B, 2 Λ) of adapter t moved by h. */
    private static List<LoraEditor.Factors> bump(List<LoraEditor.Factors> f, int t, int k, int i, double h) {
        List<LoraEditor.Factors> out = new ArrayList<>(f);
        LoraEditor.Factors x = f.get(t);
        float[][] v = {x.a().clone(), x.b().clone(), x.e().clone()};
        v[k][i] = (float) (v[k][i] + h);
        out.set(t, new LoraEditor.Factors(x.target(), v[0], v[1], v[2]));
        return out;
    }

    @Test
    void editLowersTheLossAndRevertsBitExactly() {
        assertThat(assertEditLowersTheLossAndReverts(model, editor("num_steps", "10", "layers", "[1, 2]"), 10)).isNotEmpty();
    }

    /**
     * Applies PARIS with the editor: exactly the adapted weights change, the target's −log p falls, the loss trace has
     * one entry per step, and revert restores every parameter of the model bit for bit.
     *
     * @return the edit's statistics
     */
    static Map<String, Double> assertEditLowersTheLossAndReverts(LanguageModel m, LoraEditor lora, int steps) {
        Map<String, byte[]> before = EditTesting.snapshot(m);
        double pre = lora.nll(List.of(PARIS), List.of());
        EditResult r = lora.apply(PARIS);
        try {
            List<String> changed = EditTesting.differing(before, EditTesting.snapshot(m));
            assertThat(changed).hasSize(lora.targets().size());
            for (LoraTargets.Target t : lora.targets()) {
                assertThat(changed).anyMatch(c -> c.startsWith(t.weight().name() + " "));
            }
            double post = lora.nll(List.of(PARIS), List.of());
            System.out.printf("%s %s: loss %.4f -> %.4f, stats %s%n", lora.method(), m.architecture().family(), pre, post,
                    r.stats().values());
            assertThat(post).isLessThan(pre);
            assertThat(r.stats().loss()).hasSize(steps);
        } finally {
            r.patch().revert();
        }
        assertThat(EditTesting.differing(before, EditTesting.snapshot(m))).isEmpty();
        return r.stats().values();
    }

    @Test
    void divergingEditThrowsAndLeavesTheModelUnchanged() {
        assertDivergingEditLeavesTheModelUnchanged(model, editor("lr", "1e30", "num_steps", "5"));
    }

    /** A huge lr makes the editor throw {@link EditException} and leaves every parameter bit-identical. */
    static void assertDivergingEditLeavesTheModelUnchanged(LanguageModel m, LoraEditor lora) {
        Map<String, byte[]> before = EditTesting.snapshot(m);
        assertThatThrownBy(() -> lora.apply(PARIS)).isInstanceOf(EditException.class)
                .hasMessageContaining(lora.method() + " diverged").hasMessageContaining("unchanged");
        assertThat(EditTesting.differing(before, EditTesting.snapshot(m))).isEmpty();
    }

    @Test
    void committedDeltaIsWhatWasTrainedAndExportsAsPeftFactors() {
        LoraEditor lora = editor("num_steps", "3", "layers", "[2]");
        LoraEditor.Computation c = lora.compute(List.of(PARIS));
        Map<String, float[]> before = new java.util.HashMap<>();
        for (LoraTargets.Target t : lora.targets()) {
            before.put(t.weight().name(), floats(t.weight().name()));
        }
        EditResult r = lora.apply(PARIS);
        try {
            WeightDelta d = (WeightDelta) r.patch();
            float s = (float) lora.params().scaling();
            PeftAdapter adapter = PeftAdapter.builder(model).add(d).build();
            Path dir = adapter.write(tmp.resolve("lora"));
            SafeTensors.Header h = SafeTensors.readHeader(dir.resolve(PeftAdapter.WEIGHTS_FILE));
            assertThat(adapter.modules()).hasSize(c.factors().size());
            try (NDManager m = model.manager().newSubManager()) {
                for (int i = 0; i < c.factors().size(); i++) {
                    LoraEditor.Factors f = c.factors().get(i);
                    PeftAdapter.Module mod = adapter.modules().get(i);
                    assertThat(mod.name()).isEqualTo(f.target().module());
                    assertThat(mod.rank()).isEqualTo(lora.params().rank());
                    // training is deterministic: apply() trained the same factors as compute()
                    assertThat(mod.a()).containsExactly(f.a());
                    float[] sb = new float[f.b().length];
                    for (int k = 0; k < sb.length; k++) {
                        sb[k] = f.b()[k] * s;
                    }
                    assertThat(mod.b()).containsExactly(sb);
                    // what the file holds
                    NDArray fileA = SafeTensors.load(m, h, h.find(mod.keyA()), DataType.FLOAT32);
                    NDArray fileB = SafeTensors.load(m, h, h.find(mod.keyB()), DataType.FLOAT32);
                    assertThat(fileA.toFloatArray()).containsExactly(f.a());
                    assertThat(fileB.toFloatArray()).containsExactly(sb);
                    // and the model moved by B_file · A_file
                    NDArray delta = d.update(f.target().weight().name()).toMath(m);
                    NDArray product = fileB.matMul(fileA);
                    assertThat(delta.sub(product).abs().max().getFloat()).isLessThan(1e-6f);
                    float[] after = floats(f.target().weight().name());
                    float[] stored = f.target().weight().orientation().fromMath(product).toFloatArray();
                    float[] was = before.get(f.target().weight().name());
                    for (int k = 0; k < after.length; k += 97) {
                        assertThat(after[k] - was[k]).isCloseTo(stored[k], within(1e-5f));
                    }
                }
            }
        } finally {
            r.patch().revert();
        }
    }

    @Test
    void llamaParamsAdaptQAndVOfEveryLayerAndExportUnchanged() {
        try (LanguageModel llama = ModelLoader.load(Fixtures.tiny("llama"))) {
            String yaml = Editors.bundledText("LoRA", "llama-7b").orElseThrow().replaceFirst("(?m)^num_steps:.*$", "num_steps: 5");
            LoraParams p = ParamsLoader.read(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "llama", LoraParams.class);
            LoraEditor lora = new LoraEditor(llama, p, EditContext.defaults());
            int n = llama.architecture().config().numLayers();
            assertThat(lora.targets()).hasSize(2 * n);
            assertThat(lora.targets().get(0).module()).endsWith("0.self_attn.q_proj");
            assertThat(lora.targets().get(1).module()).endsWith("0.self_attn.v_proj");
            Map<String, byte[]> before = EditTesting.snapshot(llama);
            double pre = lora.loss(List.of(PARIS), List.of());
            LoraEditor.Computation c = lora.compute(List.of(PARIS));
            EditResult r = lora.apply(PARIS);
            try {
                double post = lora.loss(List.of(PARIS), List.of());
                System.out.printf("LoRA tiny llama (llama-7b params, 5 steps): loss %.4f -> %.4f%n", pre, post);
                assertThat(post).isLessThan(pre);
                PeftAdapter adapter = PeftAdapter.builder(llama).add((WeightDelta) r.patch()).build();
                assertThat(adapter.fanInFanOut()).isFalse();
                float s = (float) p.scaling();
                for (int i = 0; i < c.factors().size(); i++) {
                    assertThat(adapter.modules().get(i).a()).containsExactly(c.factors().get(i).a());
                    float[] b = c.factors().get(i).b();
                    float[] sb = new float[b.length];
                    for (int k = 0; k < b.length; k++) {
                        sb[k] = b[k] * s;
                    }
                    assertThat(adapter.modules().get(i).b()).containsExactly(sb);
                }
            } finally {
                r.patch().revert();
            }
            assertThat(EditTesting.differing(before, EditTesting.snapshot(llama))).isEmpty();
        }
    }
}
