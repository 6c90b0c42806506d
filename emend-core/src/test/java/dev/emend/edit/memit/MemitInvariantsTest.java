package dev.emend.edit.memit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import dev.emend.edit.locate.NullSpace;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.stats.LayerStatsCollector;
import dev.emend.stats.SecondMoment;
import dev.emend.stats.TextCorpus;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
 * MEMIT and AlphaEdit invariants on the tiny GPT-2 fixture: AlphaEdit's update lies in the null space of C (so it
 * leaves preserved keys alone), a failing request in a batch leaves the model unchanged, {@code C = I} needs no
 * corpus, and EasyEdit's params files load unchanged while mixed-up ones are refused.
 */
class MemitInvariantsTest {
    static LanguageModel model;
    static TextCorpus corpus;
    static List<String> templates = new ArrayList<>();

    @TempDir
    static Path stats;

    @BeforeAll
    static void load() throws IOException {
        model = ModelLoader.load(Fixtures.tiny("gpt2"));
        var kase = new com.fasterxml.jackson.databind.ObjectMapper().readTree(MemitParityTest.golden().resolve("case.json").toFile());
        List<String> docs = new ArrayList<>();
        kase.get("corpus").forEach(d -> docs.add(d.asText()));
        corpus = TextCorpus.of("golden", docs);
        kase.get("context_templates").forEach(t -> templates.add(t.asText()));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static MemitEditor editor(String file, String... replacements) {
        try {
            String yaml = Files.readString(MemitParityTest.golden().resolve(file));
            for (int i = 0; i < replacements.length; i += 2) {
                yaml = yaml.replace(replacements[i], replacements[i + 1]);
            }
            return new MemitEditor(model, parse(yaml), EditContext.builder().optContextTemplates(templates)
                    .optCorpus("golden", corpus).optStatsDir(stats).build());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static MemitParams parse(String yaml) {
        return ParamsLoader.read(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test.yaml", MemitParams.class);
    }

    static final List<EditRequest> BATCH = List.of(EditRequest.of("{} is in the city of", "Eiffel Tower", "the tower"),
            EditRequest.of("{} was born in", "Marie Curie", "the river"));

    @Test
    void alphaEditUpdatesLieInTheNullSpaceAndSpareCorpusKeys() {
        MemitEditor editor = editor("alphaedit.yaml");
        MemitEditor.Computation c = editor.compute(BATCH);
        for (MemitEditor.LayerComputation l : c.layers()) {
            NullSpace ns = editor.nullSpace(l.layer());
            WeightDelta.LowRank u = l.update();
            int f = (int) u.weight().inFeatures();
            double off = 0;
            double all = 0;
            for (int j = 0; j < u.rank(); j++) {                   // each row y_j of the right factor: y = P y
                double[] y = new double[f];
                for (int q = 0; q < f; q++) {
                    y[q] = u.right()[j * f + q];
                }
                double[] py = ns.project(y);
                for (int q = 0; q < f; q++) {
                    off += (y[q] - py[q]) * (y[q] - py[q]);
                    all += y[q] * y[q];
                }
            }
            assertThat(Math.sqrt(off / all)).as("layer %d: share of Δ outside the null space", l.layer()).isLessThan(1e-5);
            // E_C ‖Δk‖² = tr(Δ C Δᵀ) ≤ threshold · ‖Δ‖²: preserved keys (distributed as C) barely move
            SecondMoment moment = new LayerStatsCollector(model).collect(l.layer(), corpus, 1000, "float32", null);
            double preserved = expectedSquaredChange(u, moment);
            double bound = editor.params().nullspaceThreshold() * u.norm() * u.norm();
            double edited = 0;
            for (double[] k : l.keys()) {
                edited += squaredChange(u, k) / l.keys().length;
            }
            System.out.printf("AlphaEdit layer %d: E_C |Δk|^2 = %.3g (bound %.3g), |Δk|^2 on the edited keys %.3g%n",
                    l.layer(), preserved, bound, edited);
            assertThat(preserved).isLessThanOrEqualTo(bound * (1 + 1e-6));
        }
    }

    @Test
    void aFailingRequestInABatchChangesNothing() {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        // the second prompt is longer than the model's 128 positions
        List<EditRequest> bad = List.of(BATCH.get(0), EditRequest.of("{} was born in" + " the old city".repeat(60),
                "Marie Curie", "the river"));
        for (String file : List.of("memit.yaml", "alphaedit.yaml")) {
            assertThatThrownBy(() -> editor(file).applyAll(bad)).isInstanceOf(EditException.class)
                    .hasMessageContaining("unchanged");
            assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
        }
    }

    @Test
    void memitWithoutSecondMomentNeedsNoCorpusAndReverts() {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        MemitEditor editor = new MemitEditor(model, parse(readGolden("memit.yaml").replace("mom2_adjustment: true",
                "mom2_adjustment: false")), EditContext.builder().optContextTemplates(templates).optStatsDir(stats).build());
        EditResult r = editor.applyAll(BATCH);
        assertThat(((WeightDelta) r.patch()).parameters()).hasSize(2);
        assertThat(r.stats().value("edits")).isEqualTo(2);
        r.patch().revert();
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
    }

    @Test
    void easyEditFilesLoadAndMixedUpOnesAreRefused() {
        MemitParams memit = parse(Editors.bundledText("MEMIT", "gpt2-xl").orElseThrow());
        assertThat(memit.layers()).containsExactly(13, 14, 15, 16, 17);
        assertThat(memit.mom2UpdateWeight()).isEqualTo(20000);
        assertThat(memit.contextTemplateLengthParams()).containsExactly(List.of(10, 5));
        MemitParams alpha = parse(Editors.bundledText("AlphaEdit", "gpt2-xl").orElseThrow());
        assertThat(alpha.alphaEdit()).isTrue();
        assertThat(alpha.nullspaceThreshold()).isEqualTo(2e-2);
        assertThat(alpha.l2()).isEqualTo(10);
        assertThat(alpha.lmHeadModule()).isEqualTo("lm_head");
        String memitFile = readGolden("memit.yaml");
        assertThatThrownBy(() -> parse(memitFile + "L2: 10\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("AlphaEdit keys");
        assertThatThrownBy(() -> parse(memitFile.replace("alg_name: \"MEMIT\"", "alg_name: \"AlphaEdit\"")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("nullspace_threshold");
        assertThatThrownBy(() -> parse(memitFile + "nullspace: 1\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("nullspace");
        // AlphaEdit's gpt2-xl file names lm_head, which GPT-2 ties to wte: accepted
        parse(readGolden("alphaedit.yaml").replace("lm_head_module: \"transformer.wte\"", "lm_head_module: \"lm_head\""))
                .checkAgainst(model.architecture());
        assertThatThrownBy(() -> editor("memit.yaml", "layers: [0, 1]", "layers: [0, 7]")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("layers 0..2");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"ROME, gpt2-xl", "ROME, llama-7b", "ROME, fact-world", "R-ROME, gpt2-xl",
        "R-ROME, llama-7b", "R-ROME, fact-world", "MEMIT, gpt2-xl", "MEMIT, llama-7b", "MEMIT, fact-world",
        "AlphaEdit, gpt2-xl", "AlphaEdit, llama3-8b", "AlphaEdit, fact-world", "ROME, smollm2-135m", "R-ROME, smollm2-135m",
        "MEMIT, smollm2-135m", "AlphaEdit, smollm2-135m"})
    void everyBundledParamsFileLoads(String method, String name) {
        Class<?> type = Editors.standard().factory(method).paramsType();
        Object p = ParamsLoader.read(new ByteArrayInputStream(Editors.bundledText(method, name).orElseThrow()
                .getBytes(StandardCharsets.UTF_8)), name + ".yaml", type);
        assertThat(((dev.emend.edit.EditParams) p).algName()).isEqualTo(method);
    }

    @Test
    void aNullSpaceThresholdBelowEveryEigenvalueSaysWhatToDo() {
        MemitEditor editor = editor("alphaedit.yaml", "nullspace_threshold: 0.05", "nullspace_threshold: 1e-9");
        assertThatThrownBy(() -> editor.apply(BATCH.get(0))).isInstanceOf(EditException.class)
                .hasMessageContaining("raise it");
    }

    private static String readGolden(String file) {
        try {
            return Files.readString(MemitParityTest.golden().resolve(file));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** tr(Δ C Δᵀ) = tr((Rt C Rtᵀ)(LᵀL)) for Δ = L Rt. */
    private static double expectedSquaredChange(WeightDelta.LowRank u, SecondMoment c) {
        int f = (int) u.weight().inFeatures();
        int d = (int) u.weight().outFeatures();
        int r = u.rank();
        double[][] rc = new double[r][f];                          // Rt C [r,F]
        for (int j = 0; j < r; j++) {
            for (int q = 0; q < f; q++) {
                double s = 0;
                for (int p = 0; p < f; p++) {
                    s += u.right()[j * f + p] * c.moment(p, q);
                }
                rc[j][q] = s;
            }
        }
        double t = 0;
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < r; j++) {
                double m1 = 0;                                     // (Rt C Rtᵀ)[i,j]
                for (int q = 0; q < f; q++) {
                    m1 += rc[i][q] * u.right()[j * f + q];
                }
                double m2 = 0;                                     // (LᵀL)[j,i]
                for (int o = 0; o < d; o++) {
                    m2 += (double) u.left()[o * r + j] * u.left()[o * r + i];
                }
                t += m1 * m2;
            }
        }
        return t;
    }

    private static double squaredChange(WeightDelta.LowRank u, double[] k) {
        int f = (int) u.weight().inFeatures();
        int d = (int) u.weight().outFeatures();
        double[] rk = new double[u.rank()];
        for (int j = 0; j < u.rank(); j++) {
            for (int q = 0; q < f; q++) {
                rk[j] += u.right()[j * f + q] * k[q];
            }
        }
        double s = 0;
        for (int o = 0; o < d; o++) {
            double v = 0;
            for (int j = 0; j < u.rank(); j++) {
                v += u.left()[o * u.rank() + j] * rk[j];
            }
            s += v * v;
        }
        return s;
    }

}
