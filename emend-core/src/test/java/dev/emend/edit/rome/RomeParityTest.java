package dev.emend.edit.rome;

import static dev.emend.edit.EditTesting.floats;
import static dev.emend.edit.EditTesting.relDiff;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.Fixtures;
import dev.emend.config.ParamsLoader;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.EditTesting;
import dev.emend.edit.locate.FactToken;
import dev.emend.edit.locate.SubjectLocator;
import dev.emend.model.ForwardRequest;
import dev.emend.model.HookPoint;
import dev.emend.model.Hooks;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.stats.LayerStatsCollector;
import dev.emend.stats.SecondMoment;
import dev.emend.stats.TextCorpus;
import dev.emend.tokenizer.TokenBatch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Golden parity with {@code tools/reference/rome_reference.py}, a plain-PyTorch transcription of the ROME and
 * R-ROME equations, on the tiny GPT-2 fixture with fixed context templates and a small corpus for C: the key
 * k̄, the direction u, v_init, δ, v*, the right vector r and the stored update Δ agree within 1e-4 relative.
 */
class RomeParityTest {
    static final double TOLERANCE = 1e-4;
    static LanguageModel model;
    static JsonNode kase;
    static Fixtures.Reference ref;
    static EditRequest request;
    static TextCorpus corpus;

    @TempDir
    static Path stats;

    @BeforeAll
    static void load() throws IOException {
        model = ModelLoader.load(Fixtures.tiny("gpt2"));
        Path dir = EditTesting.goldenRome();
        kase = new ObjectMapper().readTree(dir.resolve("case.json").toFile());
        ref = new Fixtures.Reference(dir.resolve("reference.safetensors"));
        JsonNode r = kase.get("request");
        request = EditRequest.of(r.get("prompt").asText(), r.get("subject").asText(), r.get("target_new").asText());
        List<String> docs = new ArrayList<>();
        kase.get("corpus").forEach(d -> docs.add(d.asText()));
        corpus = TextCorpus.of("golden", docs);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static RomeEditor editor(String file) {
        RomeParams params = ParamsLoader.load(EditTesting.goldenRome().resolve(file), RomeParams.class);
        List<String> templates = new ArrayList<>();
        kase.get("context_templates").forEach(t -> templates.add(t.asText()));
        return new RomeEditor(model, params, EditContext.builder().optContextTemplates(templates)
                .optCorpus("golden", corpus).optStatsDir(stats).build());
    }

    @Test
    void tokensAndIndicesAgree() {
        List<String> templates = new ArrayList<>();
        kase.get("context_templates").forEach(t -> templates.add(t.asText().replace("{}", request.template())));
        for (int i = 0; i < templates.size(); i++) {
            SubjectLocator.Located l = SubjectLocator.locate(model.tokenizer(), templates.get(i), request.subject(), FactToken.SUBJECT_LAST);
            assertThat(l.ids()).containsExactly(ints(kase.get("prompt_ids").get(i)));
            assertThat(l.index()).isEqualTo(kase.get("lookup").get(i).asInt());
        }
        RomeEditor.Computation c = editor("rome.yaml").compute(request);
        assertThat(c.target()).containsExactly(ints(kase.get("target_ids")));
    }

    @Test
    void secondMomentCountsEveryToken() {
        SecondMoment m = new LayerStatsCollector(model).collect(1, corpus, 1000, "float32", null);
        assertThat(m.count()).isEqualTo(kase.get("mom2_count").asLong());
        assertThat(m.dim()).isEqualTo(256);
    }

    @ParameterizedTest
    @CsvSource({"rome.yaml, rome", "r-rome.yaml, rrome"})
    void keysValueAndUpdateEqualTheReference(String file, String prefix) {
        RomeEditor.Computation c = editor(file).compute(request);
        RomeEditor.LayerComputation l = c.layers().get(0);
        double[] diffs = {
            relDiff(ref.floats(prefix + ".k_bar"), l.keys().meanKey()),
            relDiff(ref.floats(prefix + ".u"), floats(l.u())),
            relDiff(ref.floats(prefix + ".v_init"), l.value().vInit()),
            relDiff(ref.floats(prefix + ".delta"), l.value().delta()),
            relDiff(ref.floats(prefix + ".v_star"), l.value().vStar()),
            relDiff(ref.floats(prefix + ".key"), l.key()),
            relDiff(ref.floats(prefix + ".value"), l.current()),
            relDiff(ref.floats(prefix + ".right"), floats(l.factors().r())),
            relDiff(ref.floats(prefix + ".update"), storedUpdate(l)),
        };
        String[] names = {"k_bar", "u", "v_init", "delta", "v_star", "key", "value", "right", "update"};
        StringBuilder report = new StringBuilder(prefix + " relative diffs:");
        for (int i = 0; i < names.length; i++) {
            report.append(' ').append(names[i]).append('=').append("%.2e".formatted(diffs[i]));
        }
        System.out.println(report);
        for (int i = 0; i < names.length; i++) {
            assertThat(diffs[i]).as(report.toString()).isLessThan(TOLERANCE);
        }
        float[] loss = ref.floats(prefix + ".loss");
        assertThat(l.value().trace()).hasSize(loss.length);
        for (int i = 0; i < loss.length; i++) {
            assertThat(l.value().trace().get(i).loss()).as("loss at step %d", i).isCloseTo(loss[i], org.assertj.core.data.Percentage.withPercentage(0.01));
        }
    }

    @Test
    void afterRomeTheMlpOutputAtTheBarePromptIsVStar() {
        RomeEditor editor = editor("rome.yaml");
        EditResult r = editor.apply(request);
        try {
            int index = SubjectLocator.locate(model.tokenizer(), request.template(), request.subject(), FactToken.SUBJECT_LAST).index();
            float[] after = mlpOutAtSubject(request.filledPrompt(), 1, index);
            double d = relDiff(ref.floats("rome.v_star"), after);
            System.out.printf("ROME invariant: |MLP_out(bare prompt) - v*| / |v*| = %.2e (reference: %.2e)%n", d,
                    relDiff(ref.floats("rome.v_star"), ref.floats("rome.mlp_out_after")));
            assertThat(d).isLessThan(TOLERANCE);
        } finally {
            r.patch().revert();
        }
    }

    private static float[] mlpOutAtSubject(String prompt, int layer, int index) {
        try (NDScope ignored = new NDScope()) {
            TokenBatch b = TokenBatch.single(model.tokenizer().encode(prompt, true));
            NDArray out = model.forward(ForwardRequest.builder(b).noLogits()
                    .hooks(Hooks.builder().stopAfter(HookPoint.mlpOut(layer)).build()).build()).cache().get(HookPoint.mlpOut(layer));
            return out.get("0, " + index).toFloatArray();
        }
    }

    private static float[] storedUpdate(RomeEditor.LayerComputation l) {
        try (NDScope ignored = new NDScope()) {
            return l.weight().orientation().fromMath(l.update().toMath(model.manager())).toFloatArray();
        }
    }

    private static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asInt();
        }
        return out;
    }
}
