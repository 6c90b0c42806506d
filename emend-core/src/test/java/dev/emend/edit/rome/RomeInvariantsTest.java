package dev.emend.edit.rome;

import static dev.emend.edit.EditTesting.relDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.EditException;
import dev.emend.Fixtures;
import dev.emend.config.ParamsLoader;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.EditSession;
import dev.emend.edit.EditTesting;
import dev.emend.edit.PeftAdapter;
import dev.emend.edit.WeightDelta;
import dev.emend.model.HookPoint;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.model.WeightRef;
import dev.emend.stats.TextCorpus;
import dev.emend.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compute, commit, revert (design rule 5) on the tiny GPT-2: R-ROME maps k̄ to v*, revert restores every parameter
 * bit for bit, sessions undo in order, and a failed edit (NaN, singular statistics, subject not found) throws an
 * {@link EditException} saying why and leaves every parameter untouched.
 */
class RomeInvariantsTest {
    static LanguageModel model;
    static TextCorpus corpus;
    static List<String> templates = new ArrayList<>();
    static final EditRequest REQUEST = EditRequest.of("{} is in the city of", "Eiffel Tower", "the tower");

    @TempDir
    static Path stats;

    @BeforeAll
    static void load() throws IOException {
        model = ModelLoader.load(Fixtures.tiny("gpt2"));
        JsonNode kase = new ObjectMapper().readTree(EditTesting.goldenRome().resolve("case.json").toFile());
        List<String> docs = new ArrayList<>();
        kase.get("corpus").forEach(d -> docs.add(d.asText()));
        corpus = TextCorpus.of("golden", docs);
        kase.get("context_templates").forEach(t -> templates.add(t.asText()));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static RomeEditor editor(String file, String... replacements) {
        try {
            String yaml = Files.readString(EditTesting.goldenRome().resolve(file));
            for (int i = 0; i < replacements.length; i += 2) {
                yaml = yaml.replace(replacements[i], replacements[i + 1]);
            }
            RomeParams params = ParamsLoader.read(new java.io.ByteArrayInputStream(yaml.getBytes()), file, RomeParams.class);
            return new RomeEditor(model, params, EditContext.builder().optContextTemplates(templates)
                    .optCorpus("golden", corpus).optStatsDir(stats).build());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void revertRestoresEveryParameterBitForBit() {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        EditResult r = editor("rome.yaml").apply(REQUEST);
        assertThat(r.patch().isApplied()).isTrue();
        WeightRef w = model.architecture().weight(HookPoint.Site.MLP_POST, 1);
        assertThat(model.weights().modified()).containsExactly(w.name());
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).hasSize(1);
        r.patch().revert();
        assertThat(r.patch().isApplied()).isFalse();
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
        assertThat(model.weights().modified()).isEmpty();
        r.patch().revert(); // idempotent
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
        r.patch().apply();  // and re-applicable
        assertThat(model.weights().modified()).containsExactly(w.name());
        r.patch().revert();
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
    }

    @Test
    void rRomeMapsTheMeanKeyToVStar() {
        RomeEditor editor = editor("r-rome.yaml");
        RomeEditor.Computation c = editor.compute(REQUEST);
        RomeEditor.LayerComputation l = c.layers().get(0);
        EditResult r = editor.apply(REQUEST);
        try (NDScope ignored = new NDScope()) {
            WeightRef w = l.weight();
            NDArray kBar = Tensors.create(model.manager(), l.keys().meanKey(), new Shape(1, w.inFeatures()));   // [1,F]
            NDArray bias = model.weights().get(model.architecture().bias(HookPoint.Site.MLP_POST, 1));
            NDArray wMath = Tensors.apply(model.weights().get(w.name()), model.manager(), a -> w.orientation().toMath(a).duplicate()); // [D,F]
            float[] mapped = kBar.matMul(wMath.transpose()).add(bias).toFloatArray();                         // [1,D]
            double d = relDiff(l.value().vStar(), mapped);
            System.out.printf("R-ROME invariant: |(W+Δ)k̄ + b - v*| / |v*| = %.2e%n", d);
            assertThat(d).isLessThan(1e-4);
        } finally {
            r.patch().revert();
        }
    }

    @Test
    void sessionsRevertLastFirstAndRefuseOutOfOrder() {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        RomeEditor editor = editor("rome.yaml");
        EditSession session = new EditSession();
        EditResult first = session.apply(editor, REQUEST);
        Map<String, byte[]> afterFirst = EditTesting.snapshot(model);
        EditResult second = session.apply(editor, EditRequest.of("{} is in the city of", "Eiffel Tower", "and"));
        assertThat(session.history()).containsExactly(first, second);
        assertThatThrownBy(() -> first.patch().revert()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("revert the later patch first");
        assertThat(session.revertLast()).contains(second);
        assertThat(EditTesting.differing(afterFirst, EditTesting.snapshot(model))).isEmpty();
        session.apply(editor, EditRequest.of("{} is in the city of", "Eiffel Tower", "and"));
        assertThat(session.revertAll()).isEqualTo(2);
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
    }

    @Test
    void applyAllComposesAndRevertsAsOne() {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        EditResult r = editor("rome.yaml").applyAll(List.of(REQUEST, EditRequest.of("{} is in the city of", "Eiffel Tower", "and")));
        WeightDelta d = (WeightDelta) r.patch();
        WeightRef w = model.architecture().weight(HookPoint.Site.MLP_POST, 1);
        assertThat(((WeightDelta.LowRank) d.update(w.name())).rank()).isEqualTo(2);
        assertThat(r.stats().value("edits")).isEqualTo(2);
        r.patch().revert();
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
    }

    @Test
    void editsExportAsAPeftAdapterHoldingTheirFactors(@TempDir Path adapterDir) {
        EditResult r = editor("rome.yaml").applyAll(List.of(REQUEST, EditRequest.of("{} is in the city of", "Eiffel Tower", "and")));
        try {
            WeightRef w = model.architecture().weight(HookPoint.Site.MLP_POST, 1);
            WeightDelta.LowRank u = (WeightDelta.LowRank) ((WeightDelta) r.patch()).update(w.name());
            PeftAdapter adapter = PeftAdapter.builder(model).add((WeightDelta) r.patch()).build();
            adapter.write(adapterDir);
            assertThat(adapter.modules()).singleElement().satisfies(m -> {
                assertThat(m.name()).isEqualTo("transformer.h.1.mlp.c_proj");
                assertThat(m.rank()).isEqualTo(2);
            });
            Fixtures.Reference file = new Fixtures.Reference(adapterDir.resolve(PeftAdapter.WEIGHTS_FILE));
            String key = "base_model.model.transformer.h.1.mlp.c_proj.";
            assertThat(file.shape(key + "lora_A.weight")).containsExactly(2, w.inFeatures());   // [r,F]
            assertThat(file.shape(key + "lora_B.weight")).containsExactly(w.outFeatures(), 2);  // [D,r]
            assertThat(file.floats(key + "lora_A.weight")).containsExactly(u.right());
            assertThat(file.floats(key + "lora_B.weight")).containsExactly(u.left());
            assertThat(adapter.config().get("fan_in_fan_out").asBoolean()).isTrue();
        } finally {
            r.patch().revert();
        }
    }

    @Test
    void aDivergingOptimisationThrowsAndChangesNothing() {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        RomeEditor editor = editor("rome.yaml", "v_lr: 5e-1", "v_lr: 1e30", "clamp_norm_factor: 4", "clamp_norm_factor: 1e30",
                "mom2_adjustment: true", "mom2_adjustment: false");
        assertThatThrownBy(() -> editor.apply(REQUEST)).isInstanceOf(EditException.class)
                .hasMessageContaining("diverged").hasMessageContaining("lower v_lr").hasMessageContaining("unchanged");
        assertThat(model.weights().modified()).isEmpty();
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
    }

    @Test
    void singularStatisticsThrowAndChangeNothing() {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        RomeParams params = ParamsLoader.load(EditTesting.goldenRome().resolve("rome.yaml"), RomeParams.class);
        RomeEditor editor = new RomeEditor(model, params, EditContext.builder().optContextTemplates(templates)
                .optCorpus("golden", TextCorpus.of("one-line", List.of("The city of the tower."))).optStatsDir(stats).build());
        assertThatThrownBy(() -> editor.apply(REQUEST)).isInstanceOf(EditException.class)
                .hasMessageContaining("singular").hasMessageContaining("key rows for 256 dimensions")
                .hasMessageContaining("mom2_adjustment: false");
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
    }

    @Test
    void aMissingCorpusThrowsWithTheRemedy() {
        RomeParams params = ParamsLoader.load(EditTesting.goldenRome().resolve("rome.yaml"), RomeParams.class);
        RomeEditor editor = new RomeEditor(model, params, EditContext.builder().optContextTemplates(templates).build());
        assertThatThrownBy(() -> editor.apply(REQUEST)).isInstanceOf(EditException.class)
                .hasMessageContaining("mom2_dataset 'golden'").hasMessageContaining("--stats-corpus");
        assertThat(model.weights().modified()).isEmpty();
    }

    @Test
    void aSubjectOffTokenBoundariesThrowsAndChangesNothing() {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        RomeEditor editor = editor("rome.yaml");
        // "Eiffe" ends inside the token "el" of "Eiffel"
        assertThatThrownBy(() -> editor.apply(EditRequest.of("The Eiffel Tower is in", "Eiffe", "Paris")))
                .isInstanceOf(EditException.class).hasMessageContaining("subject 'Eiffe' does not end at a token boundary");
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
        assertThatThrownBy(() -> EditRequest.of("The Eiffel Tower is in", "Louvre", "Paris"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not occur in prompt");
    }

    @Test
    void editsLeaveNoArraysBehind() {
        RomeEditor editor = editor("rome.yaml");
        editor.apply(REQUEST).patch().revert(); // first edit: statistics and templates
        ai.djl.ndarray.BaseNDManager act = (ai.djl.ndarray.BaseNDManager) model.manager();
        int before = act.getManagedArrays().size();
        for (int i = 0; i < 3; i++) {
            EditResult r = editor.apply(REQUEST);
            r.patch().revert();
        }
        assertThat(act.getManagedArrays()).hasSize(before);
    }

    @Test
    void fp16ModelsAreRefusedWithTheRemedy() {
        try (LanguageModel half = ModelLoader.load(Fixtures.tiny("gpt2"), ModelLoader.Options.ofDtype("fp16"))) {
            RomeParams params = ParamsLoader.load(EditTesting.goldenRome().resolve("rome.yaml"), RomeParams.class);
            RomeEditor editor = new RomeEditor(half, params, EditContext.builder().optContextTemplates(templates)
                    .optCorpus("golden", corpus).optStatsDir(stats).build());
            Map<String, byte[]> before = EditTesting.snapshot(half);
            assertThatThrownBy(() -> editor.apply(REQUEST)).isInstanceOf(EditException.class)
                    .hasMessageContaining("float32").hasMessageContaining("--dtype fp32");
            assertThat(EditTesting.differing(before, EditTesting.snapshot(half))).isEmpty();
        }
    }

    @Test
    void aPromptLongerThanTheContextThrowsAndChangesNothing() {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        String longPrompt = "word ".repeat(150) + "{} is in the city of";
        assertThatThrownBy(() -> editor("rome.yaml").apply(EditRequest.of(longPrompt, "Eiffel Tower", "the")))
                .isInstanceOf(EditException.class).hasMessageContaining("learned positions").hasMessageContaining("unchanged");
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
    }

    @Test
    void severalLayersAreEditedOneAfterAnotherWithoutWritingWeights() {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        RomeEditor editor = editor("rome.yaml", "layers: [1]", "layers: [1, 0]");
        RomeEditor.Computation c = editor.compute(REQUEST);
        assertThat(c.layers()).extracting(RomeEditor.LayerComputation::layer).containsExactly(0, 1);
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty(); // compute wrote nothing
        EditResult r = editor.apply(REQUEST);
        assertThat(model.weights().modified()).containsExactlyInAnyOrder(
                model.architecture().weight(HookPoint.Site.MLP_POST, 0).name(),
                model.architecture().weight(HookPoint.Site.MLP_POST, 1).name());
        r.patch().revert();
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
    }
}
