package dev.emend.edit.memit;

import static dev.emend.edit.EditTesting.relDiff;
import static org.assertj.core.api.Assertions.assertThat;

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
import dev.emend.edit.locate.KeyComputer;
import dev.emend.edit.locate.SubjectLocator;
import dev.emend.model.HookPoint;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.stats.TextCorpus;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Golden parity with {@code tools/reference/memit_reference.py}, a plain-PyTorch transcription of MEMIT and AlphaEdit
 * with the reference code's direct F×F solves, on the tiny GPT-2 fixture (layers 0 and 1, fixed context templates, C
 * from the ROME case's corpus): z per request, keys, spread residuals and stored updates per layer, and the block
 * output after the edit agree within 1e-4 relative; AlphaEdit's second batch is solved against the first batch's keys
 * read on the edited model, exactly as the reference's {@code cache_c}.
 */
class MemitParityTest {
    static final double TOLERANCE = 1e-4;
    static LanguageModel model;
    static JsonNode kase;
    static Fixtures.Reference ref;
    static TextCorpus corpus;

    @TempDir
    static Path stats;

    static Path golden() {
        return EditTesting.goldenRome().getParent().getParent().resolve("memit/tiny-gpt2");
    }

    @BeforeAll
    static void load() throws IOException {
        model = ModelLoader.load(Fixtures.tiny("gpt2"));
        kase = new ObjectMapper().readTree(golden().resolve("case.json").toFile());
        ref = new Fixtures.Reference(golden().resolve("reference.safetensors"));
        List<String> docs = new ArrayList<>();
        kase.get("corpus").forEach(d -> docs.add(d.asText()));
        corpus = TextCorpus.of("golden", docs);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static MemitEditor editor(String file) {
        MemitParams params = ParamsLoader.load(golden().resolve(file), MemitParams.class);
        List<String> templates = new ArrayList<>();
        kase.get("context_templates").forEach(t -> templates.add(t.asText()));
        return new MemitEditor(model, params, EditContext.builder().optContextTemplates(templates)
                .optCorpus("golden", corpus).optStatsDir(stats).build());
    }

    static List<EditRequest> requests(String key) {
        List<EditRequest> out = new ArrayList<>();
        kase.get(key).forEach(r -> out.add(EditRequest.of(r.get("prompt").asText(), r.get("subject").asText(),
                r.get("target_new").asText())));
        return out;
    }

    @Test
    void memitMatchesTheReference() {
        MemitEditor editor = editor("memit.yaml");
        List<EditRequest> batch = requests("batch");
        compare("memit", editor.compute(batch));
        Map<String, byte[]> before = EditTesting.snapshot(model);
        EditResult r = editor.applyAll(batch);
        try {
            double d = relDiff(ref.floats("memit.h_after"), blockOutput(batch));
            System.out.printf("MEMIT h_after rel diff %.2e%n", d);
            assertThat(d).isLessThan(TOLERANCE);
        } finally {
            r.patch().revert();
        }
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
    }

    @Test
    void alphaEditMatchesTheReferenceOverTwoSequentialBatches() {
        MemitEditor editor = editor("alphaedit.yaml");
        for (int layer : List.of(0, 1)) {
            assertThat((long) editor.nullSpace(layer).rank()).as("null-space rank of layer %d", layer)
                    .isEqualTo(ref.longs("alpha.rank." + layer)[0]);
        }
        Map<String, byte[]> before = EditTesting.snapshot(model);
        List<EditRequest> first = requests("batch");
        List<EditRequest> second = requests("second");
        compare("alpha1", editor.compute(first));
        EditResult r1 = editor.applyAll(first);
        EditResult r2 = null;
        try {
            assertThat(relDiff(ref.floats("alpha1.h_after"), blockOutput(first))).isLessThan(TOLERANCE);
            compare("alpha2", editor.compute(second));
            r2 = editor.applyAll(second);
            assertThat(relDiff(ref.floats("alpha2.h_after"), blockOutput(second))).isLessThan(TOLERANCE);
        } finally {
            if (r2 != null) {
                r2.patch().revert();
            }
            r1.patch().revert();
        }
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
        // with the first batch reverted its keys no longer count: the second batch's update changes
        MemitEditor.LayerComputation alone = editor.compute(second).layers().get(0);
        assertThat(relDiff(ref.floats("alpha2.update.0"), stored(alone))).isGreaterThan(1e-3);
    }

    private static void compare(String prefix, MemitEditor.Computation c) {
        StringBuilder report = new StringBuilder(prefix + " relative diffs:");
        List<Double> diffs = new ArrayList<>();
        float[] z = concat(c.targets().stream().map(t -> t.value().vStar()).toList());
        diffs.add(note(report, "z", relDiff(ref.floats(prefix + ".z"), z)));
        for (MemitEditor.LayerComputation l : c.layers()) {
            diffs.add(note(report, "keys." + l.layer(), relDiff(ref.floats(prefix + ".keys." + l.layer()), flat(l.keys()))));
            diffs.add(note(report, "resid." + l.layer(), relDiff(ref.floats(prefix + ".resid." + l.layer()), flat(l.residuals()))));
            diffs.add(note(report, "update." + l.layer(), relDiff(ref.floats(prefix + ".update." + l.layer()), stored(l))));
        }
        System.out.println(report);
        assertThat(diffs).as(report.toString()).allMatch(d -> d < TOLERANCE);
    }

    private static double note(StringBuilder report, String name, double d) {
        report.append(' ').append(name).append('=').append("%.2e".formatted(d));
        return d;
    }

    /** The block output of the last edited layer at each request's subject, bare prompt [n·D]. */
    private static float[] blockOutput(List<EditRequest> requests) {
        List<SubjectLocator.Located> rows = requests.stream().map(r -> SubjectLocator.locate(model.tokenizer(), r.template(),
                r.subject(), FactToken.SUBJECT_LAST)).toList();
        return concat(List.of(KeyComputer.read(model, List.of(HookPoint.residPost(1)), rows, Map.of())[0]));
    }

    private static float[] stored(MemitEditor.LayerComputation l) {
        try (NDScope ignored = new NDScope()) {
            return l.update().weight().orientation().fromMath(l.update().toMath(model.manager())).toFloatArray();
        }
    }

    private static float[] flat(double[][] rows) {
        float[] out = new float[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < rows[i].length; j++) {
                out[i * rows[i].length + j] = (float) rows[i][j];
            }
        }
        return out;
    }

    private static float[] concat(List<float[]> rows) {
        int n = rows.stream().mapToInt(r -> r.length).sum();
        float[] out = new float[n];
        int at = 0;
        for (float[] r : rows) {
            System.arraycopy(r, 0, out, at, r.length);
            at += r.length;
        }
        return out;
    }
}
