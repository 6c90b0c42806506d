package dev.emend.edit.ft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.emend.ConfigException;
import dev.emend.EditException;
import dev.emend.Fixtures;
import dev.emend.config.ParamsLoader;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.EditTesting;
import dev.emend.edit.Editors;
import dev.emend.edit.WeightDelta;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.model.Scorer;
import dev.emend.tensor.Tensors;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * FT-L and FT-M on the tiny GPT-2: params (EasyEdit keys, FT-L/FT-M told apart by the objective), the losses against
 * a hand computation from {@link Scorer} log-probabilities, one Adam step against the formula, the norm constraint,
 * bit-exact revert, and a diverging edit that leaves the model untouched.
 */
class FtEditorTest {
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

    /** The bundled gpt2-xl file of a method with some values replaced. */
    static FtParams params(String method, String... replacements) {
        String yaml = Editors.bundledText(method, "gpt2-xl").orElseThrow();
        for (int i = 0; i < replacements.length; i += 2) {
            yaml = yaml.replaceFirst("(?m)^" + replacements[i] + ":.*$", replacements[i] + ": " + replacements[i + 1]);
        }
        return ParamsLoader.read(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), method, FtParams.class);
    }

    static FtEditor editor(String method, String... replacements) {
        return new FtEditor(model, params(method, replacements), EditContext.defaults());
    }

    @Test
    void bundledFilesLoadAndNameTheirMethod() {
        for (String m : List.of("FT-L", "FT-M")) {
            for (String name : List.of("gpt2-xl", "llama-7b", "fact-world")) {
                String yaml = Editors.bundledText(m, name).orElseThrow(() -> new AssertionError(m + " " + name));
                FtParams p = ParamsLoader.read(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), name, FtParams.class);
                assertThat(p.method()).as("%s/%s", m, name).isEqualTo(m);
                assertThat(p.algName()).isEqualTo("FT");
                assertThat(p.klFactor()).isZero();
            }
        }
        FtParams xl = params("FT-L");
        assertThat(xl.epsilon()).hasValue(5e-4);
        assertThat(xl.batchSize()).isEqualTo(3);
        assertThat(params("FT-L", "norm_constraint", "false").epsilon()).isEmpty();
        assertThat(Editors.standard().methods()).contains("FT-L", "FT-M");
    }

    @Test
    void mismatchedObjectivesAndKlAreRefused() {
        assertThatThrownBy(() -> params("FT-L", "alg_name", "\"FT-M\"")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("contradicts objective_optimization: prompt_last");
        assertThatThrownBy(() -> params("FT-L", "kl_factor", "0.5")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("no KL term");
        assertThatThrownBy(() -> params("FT-L", "norm_constraint", "true")).isInstanceOf(ConfigException.class);
        assertThat(params("FT-L", "alg_name", "\"FT-L\"").method()).isEqualTo("FT-L");
        // an FT-L (prompt_last) file given to FT-M
        Path file = tmp.resolve("ft-l.yaml");
        try {
            Files.writeString(file, Editors.bundledText("FT-L", "gpt2-xl").orElseThrow());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertThatThrownBy(() -> Editors.standard().create("FT-M", model, file, EditContext.defaults()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("which is FT-L").hasMessageContaining("FT-M");
        assertThat(Editors.standard().create("FT-L", model, file, EditContext.defaults()).method()).isEqualTo("FT-L");
    }

    @Test
    void withoutEarlyStopEveryEpochStepsPastTheThreshold() {
        // FT-M at lr 5e-2, no box: the loss falls below 1e-2 within 25 epochs, where EasyEdit's threshold stops
        String[] fast = {"lr", "5e-2", "norm_constraint", "false"};
        EditResult stopped = editor("FT-M", fast).apply(PARIS);
        stopped.patch().revert();
        FtEditor fixed = new FtEditor(model, params("FT-M", fast), EditContext.defaults(), FtEditor.NO_EARLY_STOP);
        EditResult all = fixed.apply(PARIS);
        all.patch().revert();
        int epochs = stopped.stats().loss().size();
        assertThat(epochs).isLessThan(25);
        assertThat(stopped.stats().loss().get(epochs - 1)).isLessThan(FtEditor.LOSS_THRESHOLD);
        assertThat(all.stats().loss()).hasSize(25);
        assertThat(all.stats().value("steps")).isEqualTo(25.0);
        assertThat(all.stats().loss().subList(0, epochs)).isEqualTo(stopped.stats().loss());   // same steps until then
        assertThatThrownBy(() -> new FtEditor(model, params("FT-M"), EditContext.defaults(), Double.NaN))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void trainsWeightAndBiasOfTheNamedModuleAsEasyEditsNameMatch() {
        assertThat(editor("FT-L").trainable()).extracting(TrainableParameters.Parameter::hfName)
                .containsExactly("transformer.h.0.mlp.c_proj.weight", "transformer.h.0.mlp.c_proj.bias");
        assertThat(editor("FT-L", "rewrite_module_tmp", "\"transformer.h.{}.mlp.c_proj.weight\"", "layers", "[1, 2]").trainable())
                .extracting(TrainableParameters.Parameter::hfName)
                .containsExactly("transformer.h.1.mlp.c_proj.weight", "transformer.h.2.mlp.c_proj.weight");
        assertThatThrownBy(() -> editor("FT-L", "rewrite_module_tmp", "\"transformer.h.{}.mlp.nothing\""))
                .isInstanceOf(ConfigException.class).hasMessageContaining("matches no projection");
    }

    @Test
    void ftmLossIsTheMaskedTeacherForcedNll() {
        FtEditor ft = editor("FT-M");
        Scorer scorer = new Scorer(model);
        double expected = 0;
        for (EditRequest r : List.of(PARIS, TWO)) {
            FtEditor.Example e = ft.example(r);
            expected += -scorer.score(List.of(new Scorer.Request(e.prompt(), e.target()))).get(0).mean() / 2;
        }
        assertThat(ft.example(TWO).target().length).isGreaterThan(1);
        assertThat(ft.loss(List.of(PARIS, TWO))).isCloseTo(expected, within(1e-5 * Math.abs(expected)));
    }

    @Test
    void ftlLossScoresEveryTargetTokenFromTheLastPromptPosition() {
        FtEditor ft = editor("FT-L");
        Scorer scorer = new Scorer(model);
        double expected = 0;
        for (EditRequest r : List.of(PARIS, TWO)) {
            FtEditor.Example e = ft.example(r);
            double sum = 0;
            for (int t : e.target()) {
                sum += scorer.score(List.of(new Scorer.Request(e.prompt(), new int[] {t}))).get(0).total();
            }
            expected += -sum / e.target().length / 2;
        }
        double ftm = editor("FT-M").loss(List.of(TWO));
        assertThat(ft.loss(List.of(PARIS, TWO))).isCloseTo(expected, within(1e-5 * Math.abs(expected)));
        assertThat(ft.loss(List.of(TWO))).isNotCloseTo(ftm, within(1e-3));
    }

    @Test
    void adamStepIsTorchAdamWithCoupledWeightDecay() {
        Random rnd = new Random(3);
        int n = 50;
        double lr = 0.01;
        double wd = 0.1;
        double[] p = new double[n];
        double[] m = new double[n];
        double[] v = new double[n];
        float[] pf = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = rnd.nextGaussian();
            pf[i] = (float) p[i];
            p[i] = pf[i];
        }
        try (NDManager mgr = model.manager().newSubManager(); TorchAdam adam = new TorchAdam(mgr, lr, wd)) {
            NDArray param = Tensors.create(mgr, pf, new Shape(n));
            for (int t = 1; t <= 3; t++) {
                float[] g = new float[n];
                for (int i = 0; i < n; i++) {
                    g[i] = (float) rnd.nextGaussian();
                    double gi = g[i] + wd * p[i];
                    m[i] = 0.9 * m[i] + 0.1 * gi;
                    v[i] = 0.999 * v[i] + 0.001 * gi * gi;
                    double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-8;
                    p[i] -= lr / (1 - Math.pow(0.9, t)) * m[i] / denom;
                }
                adam.step("p", param, Tensors.create(mgr, g, new Shape(n)));
            }
            float[] got = param.toFloatArray();
            for (int i = 0; i < n; i++) {
                assertThat((double) got[i]).isCloseTo(p[i], within(1e-5));
            }
        }
    }

    @Test
    void oneEpochMovesEachWeightByAboutLr() {
        // Adam's first step is lr·g/(|g|+ε): every entry moves by lr or not at all
        EditResult r = editor("FT-M", "num_steps", "1", "norm_constraint", "false", "lr", "1e-3").apply(PARIS);
        try {
            WeightDelta d = (WeightDelta) r.patch();
            float[] w = ((WeightDelta.Dense) d.update(name(d, "weight"))).values();
            int moved = 0;
            for (float x : w) {
                assertThat(Math.abs(x)).isLessThanOrEqualTo(1.0001e-3f);
                moved += Math.abs(x) > 0.99e-3f ? 1 : 0;
            }
            assertThat(moved).isGreaterThan(w.length / 2);
            assertThat(r.stats().value("steps")).isEqualTo(1.0);
        } finally {
            r.patch().revert();
        }
    }

    private static String name(WeightDelta d, String suffix) {
        return d.parameters().stream().filter(n -> n.endsWith(suffix)).findFirst().orElseThrow();
    }

    @ParameterizedTest
    @ValueSource(strings = {"FT-L", "FT-M"})
    void normConstraintHoldsAndRevertIsBitExact(String method) {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        FtEditor ft = editor(method, "num_steps", "10", "norm_constraint", "1e-3", "lr", "1e-2", "batch_size", "1");
        double lossBefore = ft.loss(List.of(PARIS, TWO));
        EditResult r = ft.applyAll(List.of(PARIS, TWO));
        double lossAfter = ft.loss(List.of(PARIS, TWO));
        WeightDelta d = (WeightDelta) r.patch();
        assertThat(d.parameters()).hasSize(2);
        double maxAbs = 0;
        for (String p : d.parameters()) {
            for (float x : ((WeightDelta.Dense) d.update(p)).values()) {
                maxAbs = Math.max(maxAbs, Math.abs(x));
            }
        }
        // the committed weights, read back, lie in the box
        for (String p : d.parameters()) {
            float[] now = model.weights().get(p).toFloatArray();
            float[] orig = model.weights().original(p).toFloatArray();
            for (int i = 0; i < now.length; i++) {
                assertThat(Math.abs(now[i] - orig[i])).isLessThanOrEqualTo(1e-3f * 1.0001f);
            }
        }
        System.out.printf("%s tiny gpt2: loss %.4f -> %.4f, max |W-W0| %.3g (eps 1e-3), %s epochs, batch losses %d%n", method,
                lossBefore, lossAfter, maxAbs, r.stats().value("epochs"), r.stats().loss().size());
        assertThat(maxAbs).isLessThanOrEqualTo(1e-3 * 1.0001).isGreaterThan(0.5e-3);
        assertThat(lossAfter).isLessThan(lossBefore);
        assertThat(r.stats().loss().size()).isEqualTo(2 * (int) r.stats().value("epochs"));
        r.patch().revert();
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"FT-L", "FT-M"})
    void aDivergingEditThrowsAndLeavesTheModelUnchanged(String method) {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        FtEditor ft = editor(method, "num_steps", "5", "norm_constraint", "false", "lr", "1e30");
        assertThatThrownBy(() -> ft.apply(PARIS)).isInstanceOf(EditException.class)
                .hasMessageContaining("diverged").hasMessageContaining("unchanged");
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
        // and the editor still works afterwards (no collector left open)
        EditResult ok = editor(method, "num_steps", "2").apply(PARIS);
        ok.patch().revert();
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
    }
}
